/** backupFileName names a project's backup file: a safe form of its name and the date. */
export function backupFileName(project: string, now = new Date()): string {
  const slug = project.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'project';
  return `${slug}-backup-${now.toISOString().slice(0, 10)}.json`;
}

/** saveJSON offers data to the browser as a downloaded JSON file. */
export function saveJSON(data: unknown, fileName: string) {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** parseBackup reads an uploaded backup, with a readable error for anything that is not a JSON object. */
export function parseBackup(text: string): Record<string, unknown> {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch { throw new Error('This file is not JSON: choose a backup downloaded from a project’s settings.'); }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('This file is not a project backup (expected a JSON object).');
  return doc as Record<string, unknown>;
}
