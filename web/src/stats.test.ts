import { describe, expect, it } from 'vitest';
import type { Task, TaskStatus } from './api';
import { dailyStats, firstDay, formatSeconds, niceCeiling } from './stats';

const now = new Date(2025, 2, 31, 15, 0, 0); // 31 March, local time
let id = 0;
const task = (created: Date, status: TaskStatus, secs?: number): Task => ({
  id: ++id, template_id: 1, project_id: 1, status, created: created.toISOString(), message: '', attempt: 1, environment: '',
  start: secs === undefined ? null : created.toISOString(),
  end: secs === undefined ? null : new Date(created.getTime() + secs * 1000).toISOString(),
});

describe('dailyStats', () => {
  it('counts runs, failures and durations per local day, oldest first', () => {
    const today = new Date(2025, 2, 31, 9, 0);
    const days = dailyStats([
      task(today, 'success', 10), task(today, 'error', 30), task(today, 'running'),
      task(new Date(2025, 2, 2, 23, 30), 'error', 5), // the first of the 30 days
      task(new Date(2025, 2, 1, 12, 0), 'success', 1), // before them
    ], now);
    expect(days).toHaveLength(30);
    expect(days[0].day).toBe('2025-03-02');
    expect(days[29].day).toBe('2025-03-31');
    expect(days[29]).toMatchObject({ runs: 3, failures: 1, meanSeconds: 20, maxSeconds: 30 });
    expect(days[0]).toMatchObject({ runs: 1, failures: 1, meanSeconds: 5, maxSeconds: 5 });
    expect(days[10]).toMatchObject({ runs: 0, failures: 0, meanSeconds: null, maxSeconds: null });
    expect(firstDay(now).getTime()).toBe(days[0].date.getTime());
  });
});

describe('chart helpers', () => {
  it('formats durations', () => {
    expect(formatSeconds(4.4)).toBe('4s');
    expect(formatSeconds(60)).toBe('1m');
    expect(formatSeconds(185)).toBe('3m 5s');
    expect(formatSeconds(7800)).toBe('2h 10m');
  });
  it('rounds axis tops up', () => {
    expect(niceCeiling(0)).toBe(1);
    expect(niceCeiling(3)).toBe(5);
    expect(niceCeiling(7)).toBe(10);
    expect(niceCeiling(12)).toBe(20);
    expect(niceCeiling(200)).toBe(200);
  });
});
