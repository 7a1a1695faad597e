// Interaction test of the hh-local web UI against the fixture server (dev_server.py): drives headless
// Chromium over the DevTools protocol and checks what a user does (filter, search, open a session,
// select and collapse spans, keyboard navigation, escaping of markup in data, empty/error states),
// then runs browser_check.sh against the fixtures (it must pass, and fail on a missing name).
//
//   node --experimental-websocket interaction_check.mjs     (Node 20; Node >= 22 needs no flag)
//
// Starts its own dev_server.py instances on free ports; CHROMIUM overrides the browser binary.
// Exit status 0 when every check passes, 1 otherwise, 77 when Chromium or WebSocket is missing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';

const here = path.dirname(fileURLToPath(import.meta.url));
const QUICKSTART = '6f1c2a9e-4b7d-4e21-9c3a-0d8e5f7a1b2c';
const CHECKOUT = 'c0ffee00-1d2e-4f3a-8b9c-5d6e7f8a9b0c';
const MARKUP = '7e57e5ca-9e00-4a11-b2c3-d4e5f6a7b8c9';
const RUN = '9d2f6b1e-3c4a-4f5b-8e7d-6a5b4c3d2e1f';

function findBrowser() {
  const names = process.env.CHROMIUM ? [process.env.CHROMIUM] : ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];
  for (const name of names) {
    if (spawnSync('sh', ['-c', 'command -v "$0"', name]).status === 0) return name;
  }
  return null;
}

const children = [];
let profile = null;

// Stops the servers and the browser, waits for them, then removes the browser profile.
async function shutdown(code) {
  await Promise.all(children.map((child) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.on('exit', resolve);
    child.kill();
  })));
  if (profile) rmSync(profile, { recursive: true, force: true });
  process.exit(code);
}

function firstLine(child, pattern) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for ' + pattern)), 20000);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        const match = line.match(pattern);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    }
    child.on('exit', (code) => reject(new Error('process exited with ' + code + ' before ' + pattern)));
  });
}

async function startServer(mode) {
  const child = spawn('python3', [path.join(here, 'dev_server.py'), '--port', '0', '--mode', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return firstLine(child, /^(http:\/\/127\.0\.0\.1:\d+)$/);
}

class Page {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    ws.addEventListener('message', (event) => {
      const message = JSON.parse(event.data);
      const waiter = this.pending.get(message.id);
      if (waiter) {
        this.pending.delete(message.id);
        if (message.error) waiter.reject(new Error(message.error.message));
        else waiter.resolve(message.result);
      }
    });
  }

  send(method, params = {}) {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  async eval(expression) {
    const result = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (result.exceptionDetails) throw new Error('page exception: ' + JSON.stringify(result.exceptionDetails.exception || result.exceptionDetails.text));
    return result.result.value;
  }

  async waitFor(expression, what, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.eval(expression).catch(() => undefined);
      if (value) return value;
      if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async open(url) {
    await this.send('Page.navigate', { url });
    await this.waitFor("document.readyState === 'complete' && document.getElementById('app') && document.getElementById('app').dataset.state !== 'loading'", 'page load of ' + url);
  }

  async go(hash) {
    await this.eval(`location.hash = ${JSON.stringify(hash)}`);
    await this.waitFor("document.getElementById('app').dataset.state !== 'loading'", 'render of ' + hash);
  }
}

let failures = 0;
let passes = 0;
async function check(name, body) {
  try {
    await body();
    passes++;
    console.log('ok   ' + name);
  } catch (error) {
    failures++;
    console.log('FAIL ' + name + ': ' + error.message);
  }
}
function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  if (typeof WebSocket === 'undefined') {
    console.log('SKIP: this Node has no WebSocket (run it with --experimental-websocket, or Node >= 22)');
    process.exit(77);
  }
  const browser = findBrowser();
  if (!browser) {
    console.log('SKIP: no Chromium found (set CHROMIUM)');
    process.exit(77);
  }
  const [base, emptyBase, errorBase] = await Promise.all([startServer('fixtures'), startServer('empty'), startServer('error')]);
  profile = mkdtempSync(path.join(tmpdir(), 'hh-ui-check-'));
  const chrome = spawn(browser, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-dev-shm-usage', '--remote-debugging-port=0', '--user-data-dir=' + profile, '--window-size=1400,900', 'about:blank'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(chrome);
  const browserWs = await firstLine(chrome, /DevTools listening on (ws:\/\/\S+)/);
  const port = new URL(browserWs).port;
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const target = targets.find((t) => t.type === 'page');
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const page = new Page(ws);
  await page.send('Page.enable');
  await page.send('Runtime.enable');

  await page.open(base + '/#/');

  await check('sessions list shows every session, newest first', async () => {
    const ids = await page.eval("[...document.querySelectorAll('tr.session-row')].map(r => r.dataset.sessionId)");
    expect(ids.length === 6, 'rows: ' + ids.length);
    expect(ids[0] === QUICKSTART, 'first row: ' + ids[0]);
  });

  await check('project filter narrows the list and is kept in the URL', async () => {
    await page.eval("(() => { const s = document.getElementById('filter-project'); s.value = 'evaluate-example'; s.dispatchEvent(new Event('change')); })()");
    await page.waitFor("document.querySelectorAll('tr.session-row').length === 3 && document.getElementById('app').dataset.state === 'ready'", 'three evaluate-example rows');
    const hash = await page.eval('location.hash');
    expect(hash === '#/?project=evaluate-example', 'hash: ' + hash);
  });

  await check('span-name search narrows the list (debounced typing)', async () => {
    await page.eval("(() => { const s = document.getElementById('filter-project'); s.value = ''; s.dispatchEvent(new Event('change')); })()");
    await page.eval("(() => { const q = document.getElementById('filter-q'); q.value = 'charge'; q.dispatchEvent(new Event('input')); })()");
    await page.waitFor("document.querySelectorAll('tr.session-row').length === 1", 'one row for "charge"');
    const id = await page.eval("document.querySelector('tr.session-row').dataset.sessionId");
    expect(id === CHECKOUT, 'row: ' + id);
    expect((await page.eval('location.hash')) === '#/?q=charge', 'hash kept the search');
  });

  await check('a search with no match shows the filtered empty state', async () => {
    await page.eval("(() => { const q = document.getElementById('filter-q'); q.value = 'no-such-span'; q.dispatchEvent(new Event('input')); })()");
    await page.waitFor("document.getElementById('app').dataset.state === 'empty'", 'empty state');
    const text = await page.eval("document.querySelector('.state-title').textContent");
    expect(text === 'No sessions match these filters', text);
  });

  await check('clicking a session row opens its session page', async () => {
    await page.go('#/');
    await page.eval(`document.querySelector('tr.session-row[data-session-id="${QUICKSTART}"] td.num').click()`);
    await page.waitFor("document.getElementById('app').dataset.view === 'session' && document.getElementById('app').dataset.state === 'ready'", 'session page');
    const names = await page.eval("[...document.querySelectorAll('.span-tree .span-row')].map(r => r.dataset.eventType + ':' + r.querySelector('.span-name').textContent)");
    expect(JSON.stringify(names) === JSON.stringify(['session:support-bot', 'chain:answer_question', 'tool:retrieve_documents', 'model:generate_answer']), JSON.stringify(names));
  });

  await check('tree rows are indented by depth and waterfall bars are placed by start time', async () => {
    const rows = await page.eval("[...document.querySelectorAll('.span-row')].map(r => ({ depth: r.dataset.depth, left: parseFloat(r.querySelector('.wf-bar').style.left), width: parseFloat(r.querySelector('.wf-bar').style.width) }))");
    expect(rows.map((r) => r.depth).join() === '0,1,2,2', 'depths ' + rows.map((r) => r.depth).join());
    expect(rows[0].left === 0 && Math.abs(rows[0].width - 100) < 0.01, 'session bar ' + JSON.stringify(rows[0]));
    // generate_answer starts 3.9 ms into a 14.62 ms session and lasts 10.05 ms
    expect(Math.abs(rows[3].left - 3.9 / 14.62 * 100) < 0.05, 'model bar left ' + rows[3].left);
    expect(Math.abs(rows[3].width - 10.05 / 14.62 * 100) < 0.05, 'model bar width ' + rows[3].width);
  });

  await check('selecting a span shows its inputs, outputs, config and metrics and updates the URL', async () => {
    await page.eval("document.querySelector('.span-row[data-span-id=\"e457b5a2e4d86bd1\"]').click()");
    await page.waitFor("document.querySelector('.panel-title').textContent === 'generate_answer'", 'panel of generate_answer');
    const sections = await page.eval("[...document.querySelectorAll('.span-panel .panel-section')].map(s => s.dataset.section)");
    expect(JSON.stringify(sections) === JSON.stringify(['inputs', 'outputs', 'metadata', 'metrics', 'config', 'events', 'attributes']), JSON.stringify(sections));
    const tokens = await page.eval("[...document.querySelectorAll('[data-section=metrics] tr')].map(tr => tr.textContent).join('|')");
    expect(tokens.includes('prompt_tokens182'), tokens);
    expect((await page.eval('location.hash')) === `#/sessions/${QUICKSTART}?span=e457b5a2e4d86bd1`, 'hash');
    const selected = await page.eval("[...document.querySelectorAll('.span-row.selected')].map(r => r.dataset.spanId)");
    expect(JSON.stringify(selected) === '["e457b5a2e4d86bd1"]', 'selected rows ' + JSON.stringify(selected));
  });

  await check('long strings are collapsed until expanded; JSON is pretty-printed', async () => {
    await page.go(`#/sessions/${QUICKSTART}?span=e457b5a2e4d86bd1`);
    const before = await page.eval("document.querySelector('[data-section=inputs] .v-json').classList.contains('collapsed')");
    expect(before, 'messages JSON (a long list) starts collapsed');
    await page.eval("document.querySelector('[data-section=inputs] .link-button').click()");
    const after = await page.eval("document.querySelector('[data-section=inputs] .v-json').classList.contains('collapsed')");
    expect(!after, 'expanded after the click');
    const text = await page.eval("document.querySelector('[data-section=inputs] .v-json').textContent");
    expect(text.startsWith('[\n  {\n    "role": "system"'), text.slice(0, 60));
    await page.go(`#/sessions/${QUICKSTART}?span=b7ad6b7169203331`);
    const note = await page.eval("document.querySelector('[data-section=outputs] .json-note') && document.querySelector('[data-section=outputs] .json-note').textContent");
    expect(note === 'JSON string', 'documents (a JSON string) are shown parsed: ' + note);
  });

  await check('collapsing a node hides its subtree; keyboard moves the selection', async () => {
    await page.go(`#/sessions/${QUICKSTART}`);
    await page.eval("document.querySelector('.span-row[data-span-id=\"53995c3f42cd8ad8\"] .twisty').click()");
    let count = await page.eval("document.querySelectorAll('.span-row').length");
    expect(count === 2, 'rows after collapse: ' + count);
    await page.eval("document.querySelector('.span-row[data-span-id=\"53995c3f42cd8ad8\"] .twisty').click()");
    count = await page.eval("document.querySelectorAll('.span-row').length");
    expect(count === 4, 'rows after expand: ' + count);
    await page.eval("(() => { const t = document.querySelector('.span-tree'); t.focus(); t.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true })); t.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true })); })()");
    const title = await page.eval("document.querySelector('.panel-title').textContent");
    expect(title === 'retrieve_documents', 'selected after two ArrowDown: ' + title);
  });

  await check('an error span shows its status message', async () => {
    await page.go(`#/sessions/${CHECKOUT}?span=4d5e6f708192a3b4`);
    const text = await page.eval("document.querySelector('.panel-error').textContent");
    expect(text === 'card declined (code 51: insufficient funds)', text);
    const errors = await page.eval("[...document.querySelectorAll('.span-row.is-error')].map(r => r.dataset.spanId).join()");
    expect(errors === '1a2b3c4d5e6f7081,4d5e6f708192a3b4', errors);
  });

  await check('markup in names and values is shown as text, never parsed', async () => {
    await page.eval("document.title = 'unchanged'");
    await page.go(`#/sessions/${MARKUP}?span=bbbbbbbbbbbbbbbb`);
    await new Promise((r) => setTimeout(r, 300));
    const result = await page.eval("({ imgs: document.querySelectorAll('#app img, #app script, #app b, #app i').length, name: document.querySelectorAll('.span-name')[1].textContent, title: document.title, value: document.querySelector('[data-section=outputs] .kv-value').textContent })");
    expect(result.imgs === 0, 'elements created from data: ' + result.imgs);
    expect(result.name === '<img src=x onerror="document.title=1">', result.name);
    expect(result.title !== '1', 'an onerror handler ran');
    expect(result.value === '</pre></td></tr>', result.value);
    const orphan = await page.eval("document.querySelector('.span-row[data-span-id=cccccccccccccccc]').dataset.depth");
    expect(orphan === '0', 'a span with a missing parent is a root');
  });

  await check('runs page lists the run with its evaluator averages', async () => {
    await page.go('#/runs');
    const row = await page.eval("(() => { const r = document.querySelector('tr.run-row'); return r && { id: r.dataset.runId, chips: [...r.querySelectorAll('.chip-metric')].map(c => c.dataset.evaluator + '=' + c.querySelector('.chip-value').textContent) }; })()");
    expect(row && row.id === RUN, JSON.stringify(row));
    expect(JSON.stringify(row.chips) === JSON.stringify(['brevity=0.9444', 'exact_match=0.6667']), JSON.stringify(row.chips));
  });

  await check('run page shows evaluator cards and the run sessions with their metrics', async () => {
    await page.eval("document.querySelector('tr.run-row td.num').click()");
    await page.waitFor("document.getElementById('app').dataset.view === 'run' && document.getElementById('app').dataset.state === 'ready'", 'run page');
    const cards = await page.eval("[...document.querySelectorAll('.metric-card')].map(c => c.dataset.evaluator)");
    expect(cards.join() === 'brevity,exact_match', cards.join());
    const rows = await page.eval("document.querySelectorAll('tr.session-row').length");
    expect(rows === 3, 'sessions ' + rows);
  });

  await check('unknown session and unknown page show an error state', async () => {
    await page.go('#/sessions/does-not-exist');
    expect((await page.eval("document.querySelector('.state-title').textContent")) === 'Session not found', 'session 404');
    await page.go('#/nowhere');
    expect((await page.eval("document.querySelector('.state-title').textContent")) === 'Page not found', 'unknown route');
  });

  await check('empty collector shows the quickstart hint; failing API shows the error state', async () => {
    await page.open(emptyBase + '/#/');
    expect((await page.eval("document.querySelector('.state-title').textContent")) === 'No sessions yet: run examples/quickstart', 'empty hint');
    await page.go('#/runs');
    expect((await page.eval("document.querySelector('.state-title').textContent")) === 'No evaluation runs yet: run examples/evaluate', 'runs empty hint');
    await page.open(errorBase + '/#/');
    const state = await page.eval("({ state: document.getElementById('app').dataset.state, text: document.querySelector('.state-text').textContent })");
    expect(state.state === 'error' && state.text.startsWith('HTTP 500'), JSON.stringify(state));
  });

  ws.close();

  const artifacts = mkdtempSync(path.join(tmpdir(), 'hh-ui-artifacts-'));
  const browserCheck = (...args) => spawnSync('bash', [path.join(here, 'browser_check.sh'), base, ...args],
    { env: { ...process.env, ARTIFACT_DIR: artifacts, CHROMIUM: browser }, encoding: 'utf8', timeout: 180000 });
  await check('browser_check.sh passes on the quickstart session and leaves its artifacts', async () => {
    const run = browserCheck(QUICKSTART, 'support-bot', 'answer_question', 'retrieve_documents', 'generate_answer');
    expect(run.status === 0, 'exit ' + run.status + ': ' + run.stderr);
    const made = spawnSync('ls', [artifacts], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).join();
    expect(made === 'chromium.log,session.html,session.png,sessions.html,sessions.png', made);
  });
  await check('browser_check.sh fails on a span name the tree does not show, and says so', async () => {
    const run = browserCheck(MARKUP, '<img src=x onerror="document.title=1">', 'not_there');
    expect(run.status === 1, 'exit ' + run.status);
    expect(run.stderr.includes('span "not_there" is not in the span tree'), run.stderr);
    expect(!run.stderr.includes('onerror="document.title=1">" is not'), 'the markup name was found: ' + run.stderr);
  });
  rmSync(artifacts, { recursive: true, force: true });

  console.log(`${passes} passed, ${failures} failed`);
  await shutdown(failures ? 1 : 0);
}

main().catch((error) => {
  console.log('FAIL: ' + (error && error.stack ? error.stack : error));
  return shutdown(1);
});
