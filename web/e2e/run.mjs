// End-to-end test: starts the real server (bin/signalbox with the built-in
// plugins) on a free port with a fresh data directory, and drives Debian's
// Chromium through playwright-core: log in, create a project, a key, a
// repository (a local folder with bash scripts), an inventory, an environment
// and a bash template, run it, watch the output arrive live and the task
// succeed; templates with vaults and build/deploy settings, saved and
// reloaded; a task of a million lines, read a page at a time; the dashboard's
// charts; backup download and restore upload; tokens and users.
//
// A screenshot of every main page goes to web/test-results/ (the artifact
// set), and on each of them every form control must have an accessible name.
//
// Needs: make build (bin/signalbox, bin/plugins/signalbox-plugin-*), npm ci,
// and /usr/bin/chromium (apt-get install chromium).
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

for (const f of [bin, join(plugins, 'signalbox-plugin-shell'), join(plugins, 'signalbox-plugin-ansible'), chromiumPath]) {
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
// A log of a million lines, for the task view's paging and virtualised list.
writeFileSync(join(scripts, 'million.sh'), '#!/usr/bin/env bash\nseq 1 1000000\n');
chmodSync(join(scripts, 'million.sh'), 0o755);

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

// Controls as the accessibility tree has them: a line of an ARIA snapshot
// that names a control's role with no quoted name after it is a control
// without an accessible name.
const controlRoles = 'textbox|combobox|checkbox|switch|button|spinbutton|searchbox|radio|slider|link|menuitem|tab|listbox|option';
const unnamedControl = new RegExp(`^\\s*- '?(${controlRoles})(?! ")(\\s|:|$|\\[)`);

/** checkNames fails if an input, select, textarea or button on the page, or any other control, has no accessible name. */
async function checkNames(where) {
  // In the DOM: every rendered form control has a label, an aria-label(ledby), a title or (a button) text.
  const bare = await page.evaluate(() => {
    const text = (el) => (el?.textContent ?? '').trim();
    const out = [];
    for (const el of document.querySelectorAll('input, select, textarea, button')) {
      if (el.type === 'hidden' || el.closest('[aria-hidden="true"], [inert]') || el.getClientRects().length === 0) continue;
      const by = (el.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean).map((id) => text(document.getElementById(id))).join(' ');
      const name = by || el.getAttribute('aria-label') || [...(el.labels ?? [])].map(text).join(' ') || el.title ||
        (el.tagName === 'BUTTON' ? text(el) || [...el.querySelectorAll('img[alt]')].map((i) => i.alt).join(' ') : '');
      if (!name.trim()) out.push(el.outerHTML.slice(0, 160));
    }
    return out;
  });
  // In the accessibility tree: controls of every kind (links, switches, tabs…).
  const tree = (await page.locator('body').ariaSnapshot()).split('\n').filter((l) => unnamedControl.test(l));
  if (bare.length || tree.length) {
    throw new Error(`${where}: controls without an accessible name:\n${[...bare, ...tree].join('\n')}`);
  }
}

const shot = async (name) => {
  // (from the top, so that the fixed header and navigation are where they belong in the full-page picture)
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  await checkNames(name);
};

/** waitFor polls fn until it returns true (or throws the last mismatch after timeout ms). */
async function waitFor(what, fn, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    const got = await fn();
    if (got === true) return;
    if (Date.now() > end) throw new Error(`${what}: got ${JSON.stringify(got)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const valueIs = (locator, want) => waitFor(`value of ${locator}`, async () => {
  const v = await locator.inputValue();
  return v === want || v;
});

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
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', locale: 'en-US', acceptDownloads: true });
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

  const dialog = () => page.getByRole('dialog');
  /** api reads the API with the page's session. */
  const api = (path) => page.evaluate(async (p) => {
    const res = await fetch(`/api${p}`);
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return res.json();
  }, path);
  const choose = async (combobox, option) => {
    await combobox.click();
    await page.getByRole('option', { name: option, exact: true }).click();
  };

  // Projects: empty state, then create one.
  await page.goto(`${base}/`);
  await page.getByText('No projects yet').waitFor();
  await shot('02-projects-empty');
  await page.getByRole('button', { name: 'New project' }).click();
  // A dialog keeps the focus inside it (Mantine traps it).
  for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
  if (!(await dialog().evaluate((d) => d.contains(document.activeElement)))) throw new Error('Tab left the open dialog');
  await dialog().getByLabel('Name').fill('Demo');
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/project\/\d+\/history/);
  const pid = page.url().match(/project\/(\d+)/)[1];
  await page.getByText('No tasks have run yet').waitFor();
  await shot('03-dashboard-empty');
  step(`project ${pid} created`);

  // The keyboard reaches the main navigation: the first Tab offers to skip
  // it, and Tabs from there reach its links; Enter follows one.
  await page.reload();
  await page.getByText('No tasks have run yet').waitFor();
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement?.textContent);
  if (first !== 'Skip to content') throw new Error(`the first Tab focuses "${first}", not the skip link`);
  let reached = false;
  for (let i = 0; i < 30 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => !!document.activeElement?.closest('nav') && document.activeElement.textContent === 'Keys');
  }
  if (!reached) throw new Error('Tab never reached the "Keys" link of the navigation');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/keys$/);

  const nav = (label) => page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();

  // Keys: a login and password, the vault password of a template below.
  await page.getByText('No keys yet').waitFor();
  await page.getByRole('button', { name: 'New key' }).first().click();
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('vault password');
  await choose(dialog().getByRole('combobox', { name: 'Type' }), 'Login and password');
  await dialog().getByRole('textbox', { name: 'Login' }).fill('vault');
  await dialog().getByRole('textbox', { name: 'Password' }).fill('v4ult-secret');
  await shot('04-keys-new');
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'vault password', exact: true }).waitFor();
  await shot('04-keys');

  // Repository: a local folder.
  await nav('Repositories');
  await page.getByText('No repositories yet').waitFor();
  await page.getByRole('button', { name: 'New repository' }).first().click();
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('scripts');
  await dialog().getByLabel('Git URL or local folder').fill(scripts);
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'scripts', exact: true }).waitFor();
  await shot('05-repositories');

  // Inventory.
  await nav('Inventory');
  await page.getByRole('button', { name: 'New inventory' }).first().click();
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('local');
  await dialog().getByRole('textbox', { name: 'Inventory', exact: true }).fill('localhost');
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'local', exact: true }).waitFor();
  await shot('06-inventory');

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
  await shot('07-environment');
  await page.getByRole('button', { name: 'Edit prod' }).click();
  await dialog().getByText('API_TOKEN').waitFor();
  await shot('07-environment-edit');
  await dialog().getByRole('button', { name: 'Cancel' }).click();

  // Team.
  await nav('Team');
  await page.getByRole('cell', { name: 'admin', exact: true }).first().waitFor();
  await shot('08-team');

  // Template: bash app, with a template parameter from the plugin's schema.
  await nav('Templates');
  await page.getByRole('link', { name: 'New template' }).first().click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('hello');
  await page.getByLabel('Playbook or script').fill('hello.sh');
  await page.getByRole('combobox', { name: 'App' }).click();
  await page.getByRole('option', { name: /bash/i }).first().click();
  await choose(page.getByRole('combobox', { name: 'Repository' }), 'scripts');
  await choose(page.getByRole('combobox', { name: 'Inventory' }), 'local');
  await choose(page.getByRole('combobox', { name: 'Environment' }), 'prod');
  const args = page.locator('#template-param-interpreter_args');
  await args.fill('--noprofile');
  await args.press('Enter');
  await page.getByText('--noprofile').waitFor();
  await shot('09-template-form');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'hello', exact: true }).waitFor();
  await shot('10-templates');
  step('template created');

  // Views: add one; its tab is empty until a template chooses it.
  await page.getByRole('button', { name: 'Manage views' }).click();
  await dialog().getByLabel('New view').fill('Deploy');
  await dialog().getByRole('button', { name: 'Add view' }).click();
  await dialog().getByRole('textbox', { name: 'Title of view Deploy' }).waitFor();
  await shot('10-templates-views');
  await dialog().getByRole('button', { name: 'Done' }).click();
  await page.getByRole('tab', { name: 'Deploy' }).click();
  await page.getByText('No templates in this view').waitFor();
  await shot('10-templates-view');
  await page.getByRole('tab', { name: 'All' }).click();
  await page.getByRole('cell', { name: 'hello', exact: true }).waitFor();

  // Run it and follow the task.
  await page.getByRole('button', { name: 'Run hello' }).click();
  await dialog().getByRole('button', { name: 'Run' }).waitFor();
  await shot('11-run-dialog');
  await dialog().getByRole('button', { name: 'Run' }).click();
  await page.waitForURL(/\/tasks\/\d+/);
  const helloTask = page.url();
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
  await shot('12-task');
  step('task succeeded with live output');

  // Log search: highlights matches and steps through them.
  await page.getByLabel('Search the log').fill('step');
  await page.getByTestId('log-matches').filter({ hasText: '1 of 5' }).waitFor();
  await page.getByLabel('Search the log').press('Enter');
  await page.getByTestId('log-matches').filter({ hasText: '2 of 5' }).waitFor();
  const marks = await log.locator('mark.log-match').count();
  if (marks < 5) throw new Error(`expected 5 highlighted matches, got ${marks}`);
  await shot('12-task-search');
  await page.getByLabel('Search the log').fill('');

  // A build template (Ansible, so it has vaults: one with a key's password,
  // one with a script), and a deploy template of its builds; both saved,
  // reloaded and read back from the API.
  await nav('Templates');
  await page.getByRole('link', { name: 'New template' }).first().click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('build app');
  await page.getByLabel('Playbook or script').fill('site.yml');
  await choose(page.getByRole('combobox', { name: 'App' }), 'Ansible playbook');
  await choose(page.getByRole('combobox', { name: 'Repository' }), 'scripts');
  await choose(page.getByRole('combobox', { name: 'Template type' }), 'Build');
  await page.getByRole('textbox', { name: 'Start version' }).fill('1.0.0');
  await page.getByRole('button', { name: 'Add vault' }).click();
  const vault1 = page.getByRole('group', { name: 'Vault 1' });
  await vault1.getByRole('textbox', { name: 'Vault ID' }).fill('prod');
  await choose(vault1.getByRole('combobox', { name: 'Vault password key' }), 'vault password');
  await page.getByRole('button', { name: 'Add vault' }).click();
  const vault2 = page.getByRole('group', { name: 'Vault 2' });
  await choose(vault2.getByRole('combobox', { name: 'Password from' }), 'A script');
  await vault2.getByRole('textbox', { name: 'Script path' }).fill('vault-pass.sh');
  await shot('13-template-build-vaults');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'build app', exact: true }).waitFor();
  const buildID = Number((await page.getByRole('link', { name: 'build app', exact: true }).getAttribute('href')).split('/').pop());
  const keyID = (await api(`/project/${pid}/keys`)).find((k) => k.name === 'vault password').id;

  /** checkBuild reloads a build template's form and checks what was saved. */
  const checkBuild = async (url, key) => {
    await page.goto(url);
    await valueIs(page.getByRole('combobox', { name: 'Template type' }), 'Build');
    await valueIs(page.getByRole('textbox', { name: 'Start version' }), '1.0.0');
    await valueIs(vault1.getByRole('textbox', { name: 'Vault ID' }), 'prod');
    await valueIs(vault1.getByRole('combobox', { name: 'Password from' }), 'A key');
    await valueIs(vault1.getByRole('combobox', { name: 'Vault password key' }), key);
    await valueIs(vault2.getByRole('textbox', { name: 'Vault ID' }), '');
    await valueIs(vault2.getByRole('combobox', { name: 'Password from' }), 'A script');
    await valueIs(vault2.getByRole('textbox', { name: 'Script path' }), 'vault-pass.sh');
  };
  await checkBuild(`${base}/project/${pid}/templates/${buildID}`, 'vault password');
  const build = await api(`/project/${pid}/templates/${buildID}`);
  const wantVaults = [
    { name: 'prod', type: 'password', vault_key_id: keyID },
    { name: '', type: 'script', vault_key_id: null, script: 'vault-pass.sh' },
  ];
  const gotVaults = build.vaults.map(({ name, type, vault_key_id, script }) => ({ name, type, vault_key_id, ...(script ? { script } : {}) }));
  if (build.type !== 'build' || build.start_version !== '1.0.0' || JSON.stringify(gotVaults) !== JSON.stringify(wantVaults)) {
    throw new Error(`build template saved as ${JSON.stringify(build)}`);
  }

  await nav('Templates');
  await page.getByRole('link', { name: 'New template' }).first().click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('deploy app');
  await page.getByLabel('Playbook or script').fill('hello.sh');
  await choose(page.getByRole('combobox', { name: 'Repository' }), 'scripts');
  await choose(page.getByRole('combobox', { name: 'Template type' }), 'Deploy');
  await choose(page.getByRole('combobox', { name: 'Build template' }), 'build app');
  await page.getByRole('checkbox', { name: 'Deploy automatically after each successful build' }).check();
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'deploy app', exact: true }).waitFor();
  const deployID = Number((await page.getByRole('link', { name: 'deploy app', exact: true }).getAttribute('href')).split('/').pop());
  const checkDeploy = async (url) => {
    await page.goto(url);
    await valueIs(page.getByRole('combobox', { name: 'Template type' }), 'Deploy');
    await valueIs(page.getByRole('combobox', { name: 'Build template' }), 'build app');
    await waitFor('autorun checked', () => page.getByRole('checkbox', { name: 'Deploy automatically after each successful build' }).isChecked());
  };
  await checkDeploy(`${base}/project/${pid}/templates/${deployID}`);
  await shot('14-template-deploy');
  const deploy = await api(`/project/${pid}/templates/${deployID}`);
  if (deploy.type !== 'deploy' || deploy.build_template_id !== buildID || deploy.autorun !== true) {
    throw new Error(`deploy template saved as ${JSON.stringify(deploy)}`);
  }
  step('vaults and build/deploy settings saved and reloaded');

  // Schedules.
  await nav('Schedules');
  await page.getByText('No schedules yet').waitFor();
  await page.getByRole('button', { name: 'New schedule' }).first().click();
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('nightly');
  await choose(dialog().getByRole('combobox', { name: 'Template' }), 'hello');
  // (once a year, and switched off below: it must not add a run to the dashboard's counts)
  await dialog().getByRole('textbox', { name: 'Cron expression' }).fill('0 3 1 1 *');
  await shot('15-schedules-new');
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'nightly', exact: true }).waitFor();
  await page.getByRole('switch', { name: 'Active: nightly' }).click(); // (it turns when the server has saved it)
  await waitFor('the schedule switched off', async () => (await api(`/project/${pid}/schedules`))[0].active === false);
  await shot('15-schedules');

  // A task of a million lines: the view reads the end first and the rest a
  // page at a time as it is scrolled to, and draws only the rows in view.
  await nav('Templates');
  await page.getByRole('link', { name: 'New template' }).first().click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('million');
  await page.getByLabel('Playbook or script').fill('million.sh');
  await choose(page.getByRole('combobox', { name: 'Repository' }), 'scripts');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'million', exact: true }).waitFor();
  const outputReads = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (/\/tasks\/\d+\/output$/.test(u.pathname)) {
      outputReads.push({ task: u.pathname.split('/')[5], offset: Number(u.searchParams.get('offset')), limit: Number(u.searchParams.get('limit')) });
    }
  });
  await page.getByRole('button', { name: 'Run million' }).click();
  await dialog().getByRole('button', { name: 'Run' }).click();
  await page.waitForURL(/\/tasks\/\d+/);
  const millionID = page.url().match(/tasks\/(\d+)/)[1];
  await page.getByTestId('task-status').filter({ hasText: 'success' }).waitFor({ timeout: 180000 });
  await page.getByTestId('log-count').filter({ hasText: /^1,000,000 lines/ }).waitFor({ timeout: 60000 });
  step('a million lines stored and counted');
  await log.focus();
  await page.keyboard.press('End');
  await log.getByText('1000000', { exact: true }).waitFor({ timeout: 60000 });
  const rows = await log.locator('.log-line').count();
  if (rows >= 2000) throw new Error(`the log view holds ${rows} rows: it is not virtualised`);
  await shot('16-task-million');
  await page.keyboard.press('Home');
  await log.getByText('1', { exact: true }).waitFor({ timeout: 60000 });
  const reads = outputReads.filter((r) => r.task === millionID);
  const linesAsked = reads.reduce((n, r) => n + r.limit, 0);
  const unbounded = reads.filter((r) => !(r.limit > 0 && r.limit <= 5000));
  if (unbounded.length || linesAsked > 100000 || reads.length > 200) {
    throw new Error(`the log was not read incrementally: ${reads.length} requests for ${linesAsked} lines, unbounded: ${JSON.stringify(unbounded)}`);
  }
  step(`the end, then the start of a million-line log, in ${reads.length} requests for ${linesAsked} lines; ${rows} rows drawn`);
  // Search runs through the whole log in the background; the page stays usable meanwhile.
  await page.getByLabel('Search the log').fill('999999');
  await page.getByTestId('log-matches').filter({ hasText: /^1 of 1$/ }).waitFor({ timeout: 180000 });
  await log.locator('mark.log-match').filter({ hasText: '999999' }).waitFor();
  await page.getByLabel('Search the log').fill('');
  step('searched the million lines');

  // Dashboard: charts of the last 30 days with names and a table of the same figures.
  await nav('Dashboard / Task history');
  await page.getByRole('cell', { name: 'hello', exact: true }).waitFor();
  await page.getByRole('img', { name: 'Runs and failures per day, last 30 days' }).waitFor();
  await page.getByRole('img', { name: /^Task durations per day/ }).waitFor();
  const summary = await page.getByTestId('runs-chart').locator('desc').textContent();
  if (!summary.startsWith('2 runs in 30 days, 0 failed.')) throw new Error(`runs chart says "${summary}"`);
  await page.getByText('Show the figures as a table').click();
  await waitFor('the runs and failures of the table', async () => {
    const rows = await page.getByTestId('day-table').locator('tbody tr').all();
    let runs = 0;
    let failed = 0;
    for (const r of rows) {
      const cells = await r.getByRole('cell').allTextContents();
      runs += Number(cells[1]);
      failed += Number(cells[2]);
    }
    return (runs === 2 && failed === 0) || { runs, failed };
  });
  await shot('17-dashboard');
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await shot('17-dashboard-dark');
  await page.getByRole('button', { name: 'Switch to light theme' }).click();

  // Reloading the finished task loads the log from the API, not the socket.
  await page.goto(helloTask);
  await page.reload();
  await page.getByRole('log', { name: 'Task output' }).getByText('greeting from the environment: world').waitFor();
  const count2 = await page.getByTestId('log-count').textContent();
  if (!count2.startsWith('8 lines')) throw new Error(`expected 8 lines after reload, got "${count2}"`);

  // Integrations: create one and give it a webhook URL.
  await nav('Integrations');
  await page.getByText('No integrations yet').waitFor();
  await page.getByRole('button', { name: 'New integration' }).first().click();
  await dialog().getByRole('textbox', { name: 'Name', exact: true }).fill('on push');
  await choose(dialog().getByRole('combobox', { name: 'Template' }), 'hello');
  await dialog().getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'on push', exact: true }).waitFor();
  await shot('18-integrations');
  await page.getByRole('button', { name: 'Webhook URLs of on push' }).click();
  await dialog().getByRole('button', { name: 'Add URL' }).click();
  const hook = await dialog().getByTestId('webhook-url').textContent();
  if (!hook.startsWith(`${base}/api/integrations/`)) throw new Error(`unexpected webhook URL ${hook}`);
  await shot('18-integration-urls');
  await dialog().getByRole('button', { name: 'Close', exact: true }).click();
  step('integration created');

  // Backup download.
  await nav('Settings');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download backup' }).click()]);
  if (!download.suggestedFilename().endsWith('.json')) throw new Error(`unexpected backup name ${download.suggestedFilename()}`);
  const backup = join(tmp, download.suggestedFilename());
  await download.saveAs(backup);
  await shot('19-settings');

  // Restore upload: the backup becomes a new project, vaults and build/deploy settings included.
  await page.getByRole('link', { name: 'Signalbox' }).click();
  await page.getByRole('button', { name: 'Restore from backup' }).click();
  await page.locator('input[type="file"]').setInputFiles(backup);
  await dialog().getByText(download.suggestedFilename()).waitFor();
  await shot('20-projects-restore');
  await dialog().getByRole('button', { name: 'Restore' }).click();
  await page.waitForURL((u) => /\/project\/\d+\/history/.test(u.pathname) && !u.pathname.startsWith(`/project/${pid}/`));
  const restored = page.url().match(/project\/(\d+)/)[1];
  const restoredTemplates = await api(`/project/${restored}/templates`);
  const rBuild = restoredTemplates.find((t) => t.name === 'build app');
  const rDeploy = restoredTemplates.find((t) => t.name === 'deploy app');
  if (!rBuild || !rDeploy) throw new Error(`restored templates: ${restoredTemplates.map((t) => t.name).join(', ')}`);
  await checkBuild(`${base}/project/${restored}/templates/${rBuild.id}`, 'vault password');
  await checkDeploy(`${base}/project/${restored}/templates/${rDeploy.id}`);
  step(`backup restored as project ${restored}`);

  // Delete the restored project, with confirmation.
  await nav('Settings');
  await page.getByRole('button', { name: 'Delete project' }).click();
  await dialog().getByLabel('Project name').fill((await api(`/project/${restored}`)).name);
  await dialog().getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
  await waitFor('one project left', async () => (await page.getByRole('link', { name: /^Demo/ }).count()) === 1);
  await shot('21-projects');

  // API tokens: a new token is shown once.
  await page.getByTestId('current-user').click();
  await page.getByRole('menuitem', { name: 'API tokens' }).click();
  await page.getByText('No API tokens yet').waitFor();
  await shot('22-tokens-empty');
  await page.getByRole('button', { name: 'New token' }).first().click();
  await dialog().getByText('This token will not be shown again').waitFor();
  const token = await dialog().getByTestId('new-token').textContent();
  if (!token || token.length < 16) throw new Error(`unexpected token "${token}"`);
  await shot('22-token-created');
  await dialog().getByRole('button', { name: 'Done' }).click();
  await page.getByText('active', { exact: true }).waitFor();
  await shot('22-tokens');
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
  await shot('23-users');
  await page.getByRole('button', { name: 'Delete admin' }).click();
  await dialog().getByRole('button', { name: 'Delete' }).click();
  await dialog().getByRole('alert').waitFor();
  await shot('23-users-last-admin');
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
