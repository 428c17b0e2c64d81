// End-to-end test: starts the real server (bin/signalbox with the shell
// plugin) on a free port with a fresh data directory, and drives Debian's
// Chromium through playwright-core: log in, create a project, a repository
// (a local folder with a bash script), an inventory, an environment and a
// bash template, run it, watch the output arrive live and the task succeed.
// Screenshots of the main pages go to web/test-results/.
//
// Needs: make build (bin/signalbox, bin/plugins/signalbox-plugin-shell),
// npm ci, and /usr/bin/chromium (apt-get install chromium).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bin = join(root, 'bin/signalbox');
const plugins = join(root, 'bin/plugins');
const shots = join(root, 'web/test-results');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const password = 'e2e-Password-123';
const started = Date.now();

for (const f of [bin, join(plugins, 'signalbox-plugin-shell'), chromiumPath]) {
  if (!existsSync(f)) {
    console.error(`e2e: ${f} is missing (run make build; apt-get install chromium)`);
    process.exit(2);
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'signalbox-e2e-'));
const dataDir = join(tmp, 'data');
const scripts = join(tmp, 'scripts');
mkdirSync(scripts);
// The script prints a few lines slowly, so the live log can be seen growing, with colours.
writeFileSync(join(scripts, 'hello.sh'), [
  '#!/usr/bin/env bash',
  'set -e',
  'printf "\\033[32mstarting\\033[0m in %s\\n" "$TARGET"',
  'for i in 1 2 3 4 5; do echo "step $i"; sleep 0.4; done',
  'echo "greeting from the environment: $TARGET"',
  'echo done',
  '',
].join('\n'));
chmodSync(join(scripts, 'hello.sh'), 0o755);

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let serverLog = '';
const server = spawn(bin, ['server'], {
  env: {
    ...process.env,
    SIGNALBOX_LISTEN: `127.0.0.1:${port}`,
    SIGNALBOX_DATA_DIR: dataDir,
    SIGNALBOX_PLUGIN_DIR: plugins,
    SIGNALBOX_ADMIN_LOGIN: 'admin',
    SIGNALBOX_ADMIN_PASSWORD: password,
    SIGNALBOX_LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
server.stdout.on('data', (d) => (serverLog += d));
server.stderr.on('data', (d) => (serverLog += d));

let browser;
let page;
let failed = false;
const step = (name) => console.log(`e2e: ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
const shot = async (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

try {
  // Wait for the server.
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/api/ping`)).ok) break; } catch { /* not yet */ }
    if (i > 150 || server.exitCode !== null) throw new Error('the server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  step('server up');
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // A deep link without a session lands on the login page and comes back after it.
  await page.goto(`${base}/project/1/templates`);
  await page.getByLabel('Username or email').waitFor();
  await shot('01-login');
  await page.getByLabel('Username or email').fill('admin');
  await page.getByRole('textbox', { name: 'Password' }).fill('wrong password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Wrong login or password.').waitFor();
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/project\/1\/templates/);
  step('logged in');

  // Projects: empty state, then create one.
  await page.goto(`${base}/`);
  await page.getByText('No projects yet').waitFor();
  await shot('02-projects-empty');
  await page.getByRole('button', { name: 'New project' }).click();
  await page.getByRole('dialog').getByLabel('Name').fill('Demo');
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/project\/\d+\/history/);
  const pid = page.url().match(/project\/(\d+)/)[1];
  await page.getByText('No tasks have run yet').waitFor();
  step(`project ${pid} created`);

  const nav = (label) => page.getByRole('navigation').getByRole('link', { name: label }).click();
  const dialog = () => page.getByRole('dialog');

  // Repository: a local folder.
  await nav('Repositories');
  await page.getByText('No repositories yet').waitFor();
  await page.getByRole('button', { name: 'New repository' }).first().click();
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('scripts');
  await dialog().getByLabel('Git URL or local folder').fill(scripts);
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'scripts', exact: true }).waitFor();
  await shot('03-repositories');

  // Inventory.
  await nav('Inventory');
  await page.getByRole('button', { name: 'New inventory' }).first().click();
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('local');
  await dialog().getByRole('textbox', { name: 'Inventory', exact: true }).fill('localhost');
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'local', exact: true }).waitFor();
  await shot('04-inventory');

  // Environment, with a secret.
  await nav('Environment');
  await page.getByRole('button', { name: 'New environment' }).first().click();
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('prod');
  await dialog().getByLabel('Environment variables (JSON)').fill('{"TARGET": "world"}');
  await dialog().getByRole('button', { name: 'Add secret' }).click();
  await dialog().getByLabel('Secret name').fill('API_TOKEN');
  await dialog().getByRole('textbox', { name: 'Value' }).fill('s3cr3t-value');
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'prod', exact: true }).waitFor();
  await shot('05-environment');
  await page.getByRole('button', { name: 'Edit prod' }).click();
  await dialog().getByText('API_TOKEN').waitFor();
  await shot('05-environment-edit');
  await dialog().getByRole('button', { name: 'Cancel' }).click();

  // Keys page (empty state) and team page.
  await nav('Keys');
  await page.getByText('No keys yet').waitFor();
  await shot('06-keys');
  await nav('Team');
  await page.getByRole('cell', { name: 'admin', exact: true }).first().waitFor();
  await shot('07-team');

  // Template: bash app, with a template parameter from the plugin's schema.
  await nav('Templates');
  await page.getByRole('link', { name: 'New template' }).first().click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('hello');
  await page.getByLabel('Playbook or script').fill('hello.sh');
  await page.getByRole('combobox', { name: 'App' }).click();
  await page.getByRole('option', { name: /bash/i }).first().click();
  await page.getByRole('combobox', { name: 'Repository' }).click();
  await page.getByRole('option', { name: 'scripts' }).click();
  await page.getByRole('combobox', { name: 'Inventory' }).click();
  await page.getByRole('option', { name: 'local' }).click();
  await page.getByRole('combobox', { name: 'Environment' }).click();
  await page.getByRole('option', { name: 'prod' }).click();
  const args = page.locator('#template-param-interpreter_args');
  await args.fill('--noprofile');
  await args.press('Enter');
  await page.getByText('--noprofile').waitFor();
  await shot('08-template-form');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'hello', exact: true }).waitFor();
  await shot('09-templates');
  step('template created');

  // Views: add one; its tab is empty until a template chooses it.
  await page.getByRole('button', { name: 'Manage views' }).click();
  await dialog().getByLabel('New view').fill('Deploy');
  await dialog().getByRole('button', { name: 'Add view' }).click();
  await dialog().getByRole('textbox', { name: 'Title of view Deploy' }).waitFor();
  await dialog().getByRole('button', { name: 'Done' }).click();
  await page.getByRole('tab', { name: 'Deploy' }).click();
  await page.getByText('No templates in this view').waitFor();
  await shot('09-templates-view');
  await page.getByRole('tab', { name: 'All' }).click();
  await page.getByRole('cell', { name: 'hello', exact: true }).waitFor();

  // Run it and follow the task.
  await page.getByRole('button', { name: 'Run hello' }).click();
  await shot('10-run-dialog');
  await dialog().getByRole('button', { name: 'Run' }).click();
  await page.waitForURL(/\/tasks\/\d+/);
  const log = page.getByRole('log', { name: 'Task output' });
  await log.getByText('step 1').waitFor();
  // Live: an early line is there while the task still runs.
  const statusWhileRunning = await page.getByTestId('task-status').textContent();
  step(`first line seen live while ${statusWhileRunning}`);
  if (!['starting', 'running'].includes(statusWhileRunning)) throw new Error(`expected a running task when the first line arrives, got ${statusWhileRunning}`);
  await page.getByTestId('task-status').filter({ hasText: 'success' }).waitFor({ timeout: 30000 });
  await log.getByText('greeting from the environment: world').waitFor();
  await log.getByText('done', { exact: true }).waitFor();
  const colour = await log.getByText('starting', { exact: true }).evaluate((el) => getComputedStyle(el).color);
  if (colour !== 'rgb(13, 188, 121)') throw new Error(`ANSI green not rendered, got ${colour}`);
  const count = await page.getByTestId('log-count').textContent();
  if (!count.startsWith('8 lines')) throw new Error(`expected 8 lines, got "${count}"`);
  await shot('11-task');
  step('task succeeded with live output');

  // Log search: highlights matches and steps through them.
  await page.getByLabel('Search the log').fill('step');
  await page.getByTestId('log-matches').filter({ hasText: '1 of 5' }).waitFor();
  await page.getByLabel('Search the log').press('Enter');
  await page.getByTestId('log-matches').filter({ hasText: '2 of 5' }).waitFor();
  const marks = await log.locator('mark.log-match').count();
  if (marks < 5) throw new Error(`expected 5 highlighted matches, got ${marks}`);
  await shot('11-task-search');
  await page.getByLabel('Search the log').fill('');

  // History lists it; dark theme looks right too.
  await nav('Dashboard / Task history');
  await page.getByRole('cell', { name: 'hello', exact: true }).waitFor();
  await shot('12-history');
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await shot('13-history-dark');

  // Reloading the finished task loads the log from the API, not the socket.
  await page.goBack();
  await page.reload();
  await page.getByRole('log', { name: 'Task output' }).getByText('greeting from the environment: world').waitFor();
  const count2 = await page.getByTestId('log-count').textContent();
  if (!count2.startsWith('8 lines')) throw new Error(`expected 8 lines after reload, got "${count2}"`);

  // Integrations: create one and give it a webhook URL.
  await nav('Integrations');
  await page.getByText('No integrations yet').waitFor();
  await page.getByRole('button', { name: 'New integration' }).first().click();
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('on push');
  await dialog().getByRole('combobox', { name: 'Template' }).click();
  await page.getByRole('option', { name: 'hello' }).click();
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'on push', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Webhook URLs of on push' }).click();
  await dialog().getByRole('button', { name: 'Add URL' }).click();
  const hook = await dialog().getByTestId('webhook-url').textContent();
  if (!hook.startsWith(`${base}/api/integrations/`)) throw new Error(`unexpected webhook URL ${hook}`);
  await shot('14-integration-urls');
  await dialog().getByRole('button', { name: 'Close' }).click();
  step('integration created');

  // Backup download.
  await nav('Settings');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download backup' }).click()]);
  if (!download.suggestedFilename().endsWith('.json')) throw new Error(`unexpected backup name ${download.suggestedFilename()}`);
  await shot('15-settings');

  // Delete the project, with confirmation.
  await nav('Settings');
  await page.getByRole('button', { name: 'Delete project' }).click();
  await dialog().getByLabel('Project name').fill('Demo');
  await dialog().getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No projects yet').waitFor();

  // API tokens: a new token is shown once.
  await page.getByTestId('current-user').click();
  await page.getByRole('menuitem', { name: 'API tokens' }).click();
  await page.getByText('No API tokens yet').waitFor();
  await page.getByRole('button', { name: 'New token' }).first().click();
  await dialog().getByText('This token will not be shown again').waitFor();
  const token = await dialog().getByTestId('new-token').textContent();
  if (!token || token.length < 16) throw new Error(`unexpected token "${token}"`);
  await shot('16-token-created');
  await dialog().getByRole('button', { name: 'Done' }).click();
  await page.getByText('active', { exact: true }).waitFor();
  const tokenRes = await fetch(`${base}/api/user`, { headers: { Authorization: `Bearer ${token}` } });
  if (!tokenRes.ok) throw new Error(`the new token does not work: ${tokenRes.status}`);

  // Users (admin): create one, and see the last admin refused.
  await page.getByTestId('current-user').click();
  await page.getByRole('menuitem', { name: 'Users' }).click();
  await page.getByRole('button', { name: 'New user' }).click();
  await dialog().getByRole('textbox', { name: 'Username' }).fill('bob');
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('Bob');
  await dialog().getByRole('textbox', { name: 'Email' }).fill('bob@example.com');
  await dialog().getByRole('textbox', { name: 'Password' }).fill('bob-Password-123');
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'bob', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Delete admin' }).click();
  await dialog().getByRole('button', { name: 'Delete' }).click();
  await dialog().getByRole('alert').waitFor();
  await shot('17-users-last-admin');
  await dialog().getByRole('button', { name: 'Cancel' }).click();
  step('tokens and users');

  // Logout.
  await page.getByTestId('current-user').click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  await page.getByLabel('Username or email').waitFor();
  if (consoleErrors.length) throw new Error(`page errors: ${consoleErrors.join('; ')}`);
  step('ok');
} catch (e) {
  failed = true;
  console.error('e2e: FAILED:', e);
  if (page) await shot('failure').catch(() => {});
  console.error('--- server log ---\n' + serverLog.slice(-4000));
} finally {
  if (browser) await browser.close().catch(() => {});
  server.kill('SIGTERM');
  await new Promise((r) => { if (server.exitCode !== null) r(); else server.once('exit', r); setTimeout(r, 5000); });
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`e2e: ${failed ? 'FAIL' : 'PASS'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
console.log(`e2e: ${failed ? 0 : 1} passed, ${failed ? 1 : 0} failed`);
process.exit(failed ? 1 : 0);
