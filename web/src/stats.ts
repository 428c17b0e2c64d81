// Daily figures of a project's tasks, for the dashboard's charts.
import type { Task } from './api';

/** DAYS is how many days the dashboard's charts cover. */
export const DAYS = 30;

export interface DayStats {
  /** day is the local date, YYYY-MM-DD. */
  day: string;
  date: Date;
  runs: number;
  /** failures counts the runs that ended in error. */
  failures: number;
  /** meanSeconds and maxSeconds are the mean and longest durations of the finished runs (null: none). */
  meanSeconds: number | null;
  maxSeconds: number | null;
}

export const dayKey = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** firstDay is the start (local midnight) of the first of the days days that end today. */
export function firstDay(now = new Date(), days = DAYS): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
}

/**
 * dailyStats counts, for each of the days days that end today (local time,
 * oldest first), the tasks created that day, those that failed, and the
 * mean and longest durations of those that ran to the end.
 */
export function dailyStats(tasks: readonly Task[], now = new Date(), days = DAYS): DayStats[] {
  const out: DayStats[] = [];
  const byDay = new Map<string, DayStats & { sum: number; timed: number }>();
  for (let k = days - 1; k >= 0; k--) {
    const date = new Date(now.getFullYear(), now.getMonth(), now.getDate() - k);
    const d = { day: dayKey(date), date, runs: 0, failures: 0, meanSeconds: null, maxSeconds: null, sum: 0, timed: 0 };
    byDay.set(d.day, d);
  }
  for (const t of tasks) {
    const d = byDay.get(dayKey(new Date(t.created)));
    if (!d) continue;
    d.runs++;
    if (t.status === 'error') d.failures++;
    if (t.start && t.end) {
      const secs = Math.max(0, (Date.parse(t.end) - Date.parse(t.start)) / 1000);
      if (!isNaN(secs)) {
        d.sum += secs;
        d.timed++;
        d.maxSeconds = Math.max(d.maxSeconds ?? 0, secs);
      }
    }
  }
  for (const { sum, timed, ...d } of byDay.values()) {
    out.push({ ...d, meanSeconds: timed ? sum / timed : null });
  }
  return out;
}

/** formatSeconds writes a duration as 45s, 3m 5s or 2h 10m. */
export function formatSeconds(s: number): string {
  const secs = Math.round(s);
  if (secs < 60) return `${secs}s`;
  if (secs < 3600) return `${Math.floor(secs / 60)}m${secs % 60 ? ` ${secs % 60}s` : ''}`;
  const m = Math.floor(secs / 60);
  return `${Math.floor(m / 60)}h${m % 60 ? ` ${m % 60}m` : ''}`;
}

/** niceCeiling rounds a chart's top value up to 1, 2 or 5 times a power of ten. */
export function niceCeiling(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}
