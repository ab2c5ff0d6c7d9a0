// corio-serve's dashboard in a real browser: the numbers update once a second, the live task tree
// shows a connection while its slow request is in flight (and collapsed nodes stay collapsed), and
// a chat message sent from one page appears in another. Usage: node dashboard.test.mjs PATH/corio-serve
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const serverPath = process.argv[2];
const step = 30_000;  // every wait is bounded
const guard = setTimeout(() => { console.error('FAIL: the test took longer than 3 minutes'); process.exit(1); }, 180_000);

function fail(message) { throw new Error(message); }

function startServer() {
  const proc = spawn(serverPath, ['--host', '127.0.0.1', '--port', '0', '--access-log', 'off', '--log-level', 'warn',
                                    '--debug-tasks'],
                     { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('corio-serve did not start')), step);
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve({ proc, url: `http://127.0.0.1:${m[1]}` }); }
    });
    proc.on('exit', (code) => reject(new Error(`corio-serve exited early (${code})`)));
  });
}

const number = async (page, id) => Number((await page.textContent(`#${id}`)).replace(/[^0-9.]/g, ''));

const { proc, url } = await startServer();
const profile = mkdtempSync(join(tmpdir(), 'corio-serve-chromium-'));
let context;
let ok = false;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: step,
  });
  const ada = await context.newPage();
  const bob = await context.newPage();
  for (const page of [ada, bob]) page.setDefaultTimeout(step);
  await ada.goto(`${url}/?name=ada`);
  await bob.goto(`${url}/dashboard/?name=bob`);

  // Live numbers: the status turns "live" and the counters move as requests arrive.
  await ada.waitForFunction(() => document.getElementById('status').textContent === 'live');
  await ada.waitForFunction(() => /^[0-9]+$/.test(document.getElementById('requests').textContent));
  const before = await number(ada, 'requests');
  for (let i = 0; i < 25; i++) await fetch(`${url}/plaintext`);
  await ada.waitForFunction((n) => Number(document.getElementById('requests').textContent) >= n + 25, before);
  if (await number(ada, 'tasks') < 3) fail('live tasks should count the server\'s tasks');
  if (await number(ada, 'active') < 1) fail('the dashboard\'s own connections are active');
  await ada.waitForFunction(() => Number(document.getElementById('rps').textContent) > 0 ||
                                  document.getElementById('p99').textContent !== '–');
  // The per-route table: a row for /plaintext with the requests just made, and the 404s of a
  // path nothing serves counted as client errors of the catch-all.
  for (let i = 0; i < 3; i++) await fetch(`${url}/no-such-page`);
  await ada.waitForFunction(() => {
    const row = document.querySelector('#routes tr[data-route="GET /plaintext"]');
    return row && Number(row.cells[6].textContent) >= 25;
  });
  await ada.waitForFunction(() => {
    const row = document.querySelector('#routes tr[data-route="GET /{*path}"]');
    return row && Number(row.cells[4].textContent) >= 3;
  });
  // The chart is drawn with its axes (labels in the canvas): something is painted left of the plot.
  const painted = await ada.evaluate(() => {
    const c = document.getElementById('chart');
    const px = c.getContext('2d').getImageData(0, 0, 60, c.height).data;
    return px.some((v, i) => i % 4 === 3 && v > 0);
  });
  if (!painted) fail('the chart has no rate-axis labels');
  console.log(`numbers update: requests ${before} -> ${await number(ada, 'requests')}, ` +
              `tasks ${await number(ada, 'tasks')}, p99 ${await ada.textContent('#p99')}`);

  // The task tree: a connection task appears while its slow request is in flight, and goes once
  // the response is sent (Connection: close).
  const slow = connect(Number(new URL(url).port), '127.0.0.1');
  await new Promise((resolve, reject) => { slow.on('connect', resolve); slow.on('error', reject); });
  slow.on('error', () => {});
  slow.resume();
  slow.write('GET /api/sleep?ms=3000 HTTP/1.1\r\nHost: dashboard-test\r\nConnection: close\r\n\r\n');
  const conn = `conn 127.0.0.1:${slow.localPort}`;
  await ada.waitForFunction((c) => document.getElementById('task-tree').textContent.includes(c), conn);
  if (!/task_group #\d+/.test(await ada.textContent('#task-tree'))) fail('the tree shows the shard\'s task group');
  await ada.waitForFunction((c) => !document.getElementById('task-tree').textContent.includes(c), conn);
  slow.destroy();
  // A collapsed group stays collapsed when the next update redraws the tree.
  const key = await ada.evaluate(() => {
    const d = document.querySelector('#task-tree details');
    d.querySelector('summary').click();
    return d.querySelector('summary').textContent;
  });
  const shown = await ada.textContent('#task-tree');
  await ada.waitForFunction((t) => document.getElementById('task-tree').textContent !== t, shown);
  const stillClosed = await ada.evaluate((k) => [...document.querySelectorAll('#task-tree details')]
    .some((d) => d.querySelector('summary').textContent === k && !d.open), key);
  if (!stillClosed) fail('a collapsed node opened again on the next update');
  console.log(`task tree: ${conn} shown during its request, gone after it`);

  // Chat: both pages joined; a message typed in one shows up in the other.
  await ada.waitForFunction(() => document.getElementById('chat-log').textContent.includes('bob joined'));
  await ada.fill('#chat-input', 'hello from ada');
  await ada.click('#chat-send');
  await bob.waitForFunction(() => document.getElementById('chat-log').textContent.includes('ada: hello from ada'));
  await bob.fill('#chat-input', 'hi ada');
  await bob.press('#chat-input', 'Enter');
  await ada.waitForFunction(() => document.getElementById('chat-log').textContent.includes('bob: hi ada'));
  console.log('chat: messages crossed between the two pages');
  ok = true;
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
  proc.kill('SIGTERM');
  const code = await new Promise((resolve) => (proc.exitCode !== null ? resolve(proc.exitCode) : proc.on('exit', resolve)));
  clearTimeout(guard);
  if (ok && code !== 0) { console.error(`FAIL: corio-serve exited with ${code}`); process.exit(1); }
}
console.log('PASS');
