import { describe, expect, it } from 'vitest';
import { backupFileName, parseBackup } from './download';

describe('backupFileName', () => {
  it('makes a safe file name', () => {
    const d = new Date('2026-03-04T10:00:00Z');
    expect(backupFileName('Web Platform!', d)).toBe('web-platform-backup-2026-03-04.json');
    expect(backupFileName('ßß', d)).toBe('project-backup-2026-03-04.json');
  });
});

describe('parseBackup', () => {
  it('accepts a JSON object and refuses the rest', () => {
    expect(parseBackup('{"meta":{"name":"x"}}')).toEqual({ meta: { name: 'x' } });
    expect(() => parseBackup('nope')).toThrow(/not JSON/);
    expect(() => parseBackup('[1]')).toThrow(/not a project backup/);
    expect(() => parseBackup('null')).toThrow(/not a project backup/);
  });
});
