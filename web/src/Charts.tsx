// The dashboard's charts, drawn as plain SVG (no chart library): runs and
// failures per day, and the mean and longest task durations per day. Each
// chart is an image with a title and a one-sentence summary; DayTable gives
// the same figures as a table.
import { Group, Table, Text } from '@mantine/core';
import { useId, type ReactNode } from 'react';
import { formatSeconds, niceCeiling, type DayStats } from './stats';

const W = 480;
const H = 170;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;

const colors = {
  runs: 'var(--mantine-color-indigo-4)',
  failures: 'var(--mantine-color-red-6)',
  mean: 'var(--mantine-color-teal-5)',
  max: 'var(--mantine-color-text)',
  grid: 'var(--mantine-color-default-border)',
  text: 'var(--mantine-color-dimmed)',
};

const short = (d: Date) => d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });

interface FrameProps {
  title: string;
  summary: string;
  days: DayStats[];
  top: number;
  tick: (v: number) => string;
  children: (x: (i: number) => number, barW: number, y: (v: number) => number) => ReactNode;
}

/** Frame draws the axes, grid and day labels around a chart's bars. */
function Frame({ title, summary, days, top, tick, children }: FrameProps) {
  const id = useId();
  const step = plotW / Math.max(1, days.length);
  const barW = Math.max(2, step * 0.7);
  const x = (i: number) => PAD.left + i * step + (step - barW) / 2;
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`}
      style={{ display: 'block', fontSize: 11 }}>
      <title id={`${id}-t`}>{title}</title>
      <desc id={`${id}-d`}>{summary}</desc>
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(top * f)} y2={y(top * f)} style={{ stroke: colors.grid }} />
          <text x={PAD.left - 6} y={y(top * f)} dy="0.35em" textAnchor="end" style={{ fill: colors.text }}>{tick(top * f)}</text>
        </g>
      ))}
      {days.map((d, i) => (days.length - 1 - i) % 7 === 0 && (
        <text key={d.day} x={x(i) + barW / 2} y={H - 6} textAnchor="middle" style={{ fill: colors.text }}>{short(d.date)}</text>
      ))}
      {children(x, barW, y)}
    </svg>
  );
}

function Legend({ items }: { items: [string, string][] }) {
  return (
    <Group gap="md" justify="center" aria-hidden>
      {items.map(([label, color]) => (
        <Group key={label} gap={4}>
          <span style={{ width: 10, height: 10, borderRadius: 2, background: color, display: 'inline-block' }} />
          <Text size="xs" c="dimmed">{label}</Text>
        </Group>
      ))}
    </Group>
  );
}

/** RunsChart shows the runs of each day, with the failed ones in red. */
export function RunsChart({ days }: { days: DayStats[] }) {
  const runs = days.reduce((n, d) => n + d.runs, 0);
  const failures = days.reduce((n, d) => n + d.failures, 0);
  const busiest = days.reduce((b, d) => (d.runs > b.runs ? d : b), days[0]);
  const top = niceCeiling(Math.max(...days.map((d) => d.runs)));
  const summary = `${runs} runs in ${days.length} days, ${failures} failed.` +
    (busiest && busiest.runs ? ` The busiest day was ${short(busiest.date)} with ${busiest.runs} runs.` : '');
  return (
    <div data-testid="runs-chart">
      <Frame title={`Runs and failures per day, last ${days.length} days`} summary={summary} days={days} top={top}
        tick={(v) => (Number.isInteger(v) ? String(v) : '')}>
        {(x, barW, y) => days.map((d, i) => d.runs > 0 && (
          <g key={d.day}>
            <title>{`${short(d.date)}: ${d.runs} run${d.runs === 1 ? '' : 's'}, ${d.failures} failed`}</title>
            <rect x={x(i)} width={barW} y={y(d.runs)} height={y(0) - y(d.runs)} rx={1} style={{ fill: colors.runs }} />
            {d.failures > 0 && <rect x={x(i)} width={barW} y={y(d.failures)} height={y(0) - y(d.failures)} rx={1} style={{ fill: colors.failures }} />}
          </g>
        ))}
      </Frame>
      <Legend items={[['runs', colors.runs], ['failed', colors.failures]]} />
    </div>
  );
}

/** DurationChart shows the mean duration of each day's finished runs as a bar, and the longest as a mark. */
export function DurationChart({ days }: { days: DayStats[] }) {
  const timed = days.filter((d) => d.maxSeconds !== null);
  const longest = timed.reduce<DayStats | null>((b, d) => (!b || d.maxSeconds! > b.maxSeconds! ? d : b), null);
  const top = niceCeiling(Math.max(1, ...timed.map((d) => d.maxSeconds!)));
  const summary = longest
    ? `Durations of finished runs on ${timed.length} days. The longest run, on ${short(longest.date)}, took ${formatSeconds(longest.maxSeconds!)}.`
    : 'No run has finished in these days.';
  return (
    <div data-testid="duration-chart">
      <Frame title={`Task durations per day (mean and longest), last ${days.length} days`} summary={summary} days={days} top={top}
        tick={(v) => (v < 60 && !Number.isInteger(v) ? `${v}s` : formatSeconds(v))}>
        {(x, barW, y) => days.map((d, i) => d.maxSeconds !== null && (
          <g key={d.day}>
            <title>{`${short(d.date)}: mean ${formatSeconds(d.meanSeconds!)}, longest ${formatSeconds(d.maxSeconds)}`}</title>
            <rect x={x(i)} width={barW} y={y(d.meanSeconds!)} height={Math.max(1, y(0) - y(d.meanSeconds!))} rx={1} style={{ fill: colors.mean }} />
            <line x1={x(i) - 1} x2={x(i) + barW + 1} y1={y(d.maxSeconds)} y2={y(d.maxSeconds)} strokeWidth={2} style={{ stroke: colors.max }} />
          </g>
        ))}
      </Frame>
      <Legend items={[['mean', colors.mean], ['longest', colors.max]]} />
    </div>
  );
}

/** DayTable lists the charts' figures for the days that had runs, newest first. */
export function DayTable({ days }: { days: DayStats[] }) {
  const rows = days.filter((d) => d.runs > 0).reverse();
  return (
    <Table striped data-testid="day-table">
      <Table.Caption>Runs, failures and durations per day</Table.Caption>
      <Table.Thead>
        <Table.Tr><Table.Th>Day</Table.Th><Table.Th>Runs</Table.Th><Table.Th>Failed</Table.Th><Table.Th>Mean duration</Table.Th><Table.Th>Longest</Table.Th></Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((d) => (
          <Table.Tr key={d.day}>
            <Table.Td>{d.date.toLocaleDateString()}</Table.Td>
            <Table.Td>{d.runs}</Table.Td>
            <Table.Td>{d.failures}</Table.Td>
            <Table.Td>{d.meanSeconds === null ? '—' : formatSeconds(d.meanSeconds)}</Table.Td>
            <Table.Td>{d.maxSeconds === null ? '—' : formatSeconds(d.maxSeconds)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
