import { MantineProvider } from '@mantine/core';
import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DayTable, DurationChart, RunsChart } from './Charts';
import type { Task } from './api';
import { dailyStats } from './stats';

const now = new Date(2025, 2, 31, 15, 0);
const at = (day: number, secs: number, status: Task['status']): Task => {
  const start = new Date(2025, 2, day, 10, 0);
  return {
    id: day * 100 + secs, template_id: 1, project_id: 1, status, created: start.toISOString(), start: start.toISOString(),
    end: new Date(start.getTime() + secs * 1000).toISOString(), message: '', attempt: 1, environment: '',
  };
};
const days = dailyStats([at(30, 10, 'success'), at(30, 50, 'error'), at(31, 90, 'success')], now);
const wrap = (ui: React.ReactNode) => render(<MantineProvider>{ui}</MantineProvider>);

describe('charts', () => {
  it('are images with a title and a summary', () => {
    wrap(<><RunsChart days={days} /><DurationChart days={days} /></>);
    const runs = screen.getByRole('img', { name: 'Runs and failures per day, last 30 days' });
    expect(runs).toHaveProperty('tagName', 'svg');
    expect(runs.querySelector('desc')?.textContent).toMatch(/^3 runs in 30 days, 1 failed\. The busiest day was .+ with 2 runs\.$/);
    const durations = screen.getByRole('img', { name: /^Task durations per day/ });
    expect(durations.querySelector('desc')?.textContent).toMatch(/The longest run, on .+, took 1m 30s\.$/);
    // One bar per day with runs (and a red one for the day with a failure), each with a tooltip.
    expect(runs.querySelectorAll('rect')).toHaveLength(3);
    expect([...runs.querySelectorAll('g > title')].map((t) => t.textContent)).toEqual([
      expect.stringMatching(/: 2 runs, 1 failed$/), expect.stringMatching(/: 1 run, 0 failed$/),
    ]);
  });
  it('have a table of the same figures, newest day first', () => {
    wrap(<DayTable days={days} />);
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell').slice(1).map((c) => c.textContent))).toEqual([
      ['1', '0', '1m 30s', '1m 30s'],
      ['2', '1', '30s', '50s'],
    ]);
  });
});
