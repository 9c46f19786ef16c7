// One browser scenario against a running operator, driven by UiIT.
//
//   node ui-check.mjs <scenario>
//
// Environment: UI_BASE_URL (the operator, e.g. http://127.0.0.1:8080), UI_PARAMS (JSON: what to
// expect, from the real Play the test created), UI_SCREENSHOTS (a folder), CHROMIUM_PATH
// (default /usr/bin/chromium), UI_TOKEN (a bearer token the browser is signed in with before the
// first page loads, as after the login page; without it the browser starts signed out). Prints one JSON line {scenario, ok, checks, metrics, errors} as the
// last line of stdout; exits 0 when every check passed, 1 when one failed, 2 when it could not run.
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const scenarios = { list, detail, live, deleted, xss, large, truncated, login, demo, actions, refused, conversation, bigtree, oneplace, oneplaceViewer, listscale };
/** The key the UI keeps its token under in sessionStorage (js/session.js). */
const TOKEN_KEY = 'herologic.token';
/** Chromium reports every refused request as a console error: expected where a scenario is refused on purpose. */
const expectedConsoleErrors = { login: /the server responded with a status of (401|404)/, deleted: /the server responded with a status of 404/,
  actions: /the server responded with a status of 404/, refused: /the server responded with a status of 403/, oneplaceViewer: /the server responded with a status of 403/, demo: /the server responded with a status of 403/ };

const name = process.argv[2];
const base = (process.env.UI_BASE_URL || '').replace(/\/$/, '');
const params = JSON.parse(process.env.UI_PARAMS || '{}');
const shots = process.env.UI_SCREENSHOTS || 'ui-screenshots';
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const token = process.env.UI_TOKEN || '';

const result = { scenario: name, ok: false, checks: [], metrics: {}, errors: [], screenshots: [] };

/** Equal as JSON values, whatever the order of object keys. */
function sameJson(a, b) {
  const canonical = v => Array.isArray(v) ? v.map(canonical)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canonical(v[k])])) : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Whether fn(arg) becomes true in the page within the time limit. */
async function eventually(page, fn, arg, timeout = 10000) {
  return page.waitForFunction(fn, arg, { timeout }).then(() => true, () => false);
}

function check(what, passed, detail) {
  result.checks.push({ what, passed: Boolean(passed), ...(detail === undefined ? {} : { detail }) });
  return Boolean(passed);
}

async function screenshot(page, file, fullPage = true) {
  mkdirSync(shots, { recursive: true });
  const path = join(shots, file);
  await page.screenshot({ path, fullPage });
  result.screenshots.push(path);
}

async function main() {
  if (!scenarios[name]) throw new Error(`unknown scenario "${name}"; one of ${Object.keys(scenarios).join(', ')}`);
  if (!base) throw new Error('UI_BASE_URL is not set');
  if (!existsSync(executablePath)) throw new Error(`chromium not found at ${executablePath}: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'herologic-ui-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args: LAUNCH_ARGS, viewport: { width: 1440, height: 900 },
  });
  try {
    if (token) {
      // Signed in as after the login page; a sign-out within the scenario is not undone.
      await context.addInitScript(([key, value]) => {
        if (!sessionStorage.getItem(key) && !sessionStorage.getItem(key + '.seeded')) {
          sessionStorage.setItem(key, value);
          sessionStorage.setItem(key + '.seeded', 'yes');
        }
      }, [TOKEN_KEY, token]);
    }
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(20000);
    page.on('pageerror', e => result.errors.push('page error: ' + e.message));
    page.on('console', m => {
      if (m.type() === 'error' && !(expectedConsoleErrors[name] && expectedConsoleErrors[name].test(m.text()))) {
        result.errors.push('console error: ' + m.text());
      }
    });
    page.on('dialog', d => { result.errors.push('a dialog opened: ' + d.message()); d.dismiss().catch(() => {}); });
    try {
      await scenarios[name](page, params);
    } catch (e) {
      check('the scenario ran to its end', false, String(e && e.stack || e));
      await screenshot(page, `${name}-failure.png`).catch(() => {});
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  check('no page errors, console errors or dialogs', result.errors.length === 0, result.errors);
  result.ok = result.checks.every(c => c.passed);
}

// ---- Scenarios ---------------------------------------------------------------------------------

/** The plays list shows the Play with its columns, newest first, and the filters narrow it. */
async function list(page, p) {
  await page.goto(`${base}/#/plays`);
  const row = page.locator(`tr[data-play="${p.namespace}/${p.play}"]`);
  await row.waitFor();
  check('the list shows the play', true);
  const cells = await row.locator('td').allTextContents();
  check('namespace, name, workflow and version columns', cells[0] === p.namespace && cells[1] === p.play
    && cells[2] === p.workflow && cells[3] === p.version, cells);
  check('the phase is a chip', await row.locator('td:nth-child(5) .chip').textContent() === p.phase
    && await row.locator(`td:nth-child(5) .chip-${p.phase.toLowerCase()}`).count() === 1);
  check('duration and age are shown', cells[5] !== '' && /^\d+[smhd]$/.test(cells[7]), cells);
  if (p.older) {
    const order = await page.$$eval('tr[data-play]', rows => rows.map(r => r.getAttribute('data-play')));
    check('newest first', order.indexOf(`${p.namespace}/${p.play}`) < order.indexOf(`${p.namespace}/${p.older}`), order);
  }
  await page.selectOption('select[name=namespace]', p.namespace);
  check('the namespace filter keeps only that namespace', await eventually(page, ns => {
    const rows = [...document.querySelectorAll('tr[data-play]')];
    return rows.length > 0 && rows.every(r => r.getAttribute('data-play').startsWith(ns + '/')) && location.hash.includes('namespace=' + ns);
  }, p.namespace));
  await page.selectOption('select[name=workflow]', p.workflow);
  check('the workflow filter keeps only that workflow', await eventually(page, wf => {
    const rows = [...document.querySelectorAll('tr[data-play]')];
    return rows.length > 0 && rows.every(r => r.children[2].textContent === wf);
  }, p.workflow));
  const other = p.phase === 'Failed' ? 'Succeeded' : 'Failed';
  await page.selectOption('select[name=phase]', other);
  await row.waitFor({ state: 'detached' });
  check(`filtering on ${other} hides the ${p.phase} play`, true);
  await page.selectOption('select[name=phase]', p.phase);
  await row.waitFor();
  check(`filtering on ${p.phase} shows it again`, true);
  await screenshot(page, 'plays-list.png');
  await page.click(`tr[data-play="${p.namespace}/${p.play}"] td:nth-child(2) a`);
  await page.waitForSelector('.span-tree .span');
  check('the name links to the play page', decodeURIComponent(new URL(page.url()).hash) === `#/plays/${p.namespace}/${p.play}`, page.url());
}

/** The play page: input, the tree as in the status, a span's details and logs, output, side panel; then the source. */
async function detail(page, p) {
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForSelector('.span-tree .span');
  await page.waitForSelector('.play-page[data-polling="false"]');
  check('polling is off for a finished play', true);
  const rows = await page.$$eval('.span-tree .span', els => els.map(e => ({
    name: e.querySelector('.span-name').textContent,
    depth: Number(e.querySelector('.span-row').style.getPropertyValue('--depth')),
    status: e.getAttribute('data-status'),
    indent: parseFloat(getComputedStyle(e.querySelector('.span-name')).paddingLeft),
  })));
  check('the tree lists the spans of the status, in order, with their depth',
    JSON.stringify(rows.map(r => [r.name, r.depth])) === JSON.stringify(p.spans.map(s => [s.name, s.depth])), rows);
  check('every span is Ok', rows.every(r => r.status === 'Ok'), rows.map(r => r.status));
  const indents = new Map(rows.map(r => [r.depth, r.indent]));
  check('deeper spans are indented further', [...indents.keys()].sort().every((d, i, ds) => i === 0 || indents.get(d) > indents.get(ds[i - 1])),
    [...indents.entries()]);
  check('phase chip', await page.textContent('.page-head .chip') === p.phase);

  const index = rows.findIndex(r => r.name === p.expand);
  const span = page.locator('.span-tree .span').nth(index);
  check('no details before a click', await span.locator('.span-detail').count() === 0);
  await span.locator('.span-row').click();
  const logs = await span.locator('[data-test=logs]').textContent();
  check('a click shows the span\'s logs', logs.split('\n').includes(p.log), logs);
  const tags = JSON.parse(await span.locator('pre.tags').textContent());
  check('and its tags as JSON', sameJson(tags, p.expandTags), tags);
  const started = await page.evaluate(iso => new Date(iso).toLocaleString(), p.expandStarted);
  const facts = await span.locator('.span-detail').textContent();
  check('and when it started: the trace start plus its offset', facts.includes(started), [p.expandStarted, started, facts]);
  check('the row says it is open', await span.locator('.span-row').getAttribute('data-open') === 'true');
  check('the address links to the open span', new URL(page.url()).hash.endsWith('?span=' + await span.getAttribute('data-span-id')), page.url());

  if (p.input) {
    const input = JSON.parse(await page.textContent('[data-test=input] pre'));
    check('the input as JSON', sameJson(input, p.input), input);
  } else {
    check('no inputs, said so', (await page.textContent('[data-test=input]')).includes('No inputs'));
  }
  const output = JSON.parse(await page.textContent('[data-test=output] pre'));
  check('the output as JSON', sameJson(output, p.output), output);
  const side = await page.textContent('[data-test=side]');
  check('the side panel names the pod', await page.textContent('[data-test=pod]') === p.podName, side);
  check('the side panel links the workflow and version',
    await page.locator(`[data-test=side] a[href="#/workflows/${p.namespace}/${p.workflow}"]`).count() === 1
    && await page.locator(`[data-test=side] a[href="#/versions/${p.namespace}/${p.version}"]`).count() === 1);
  check('no truncation notice for a small trace', await page.locator('[data-test=dropped]').count() === 0);
  await screenshot(page, 'play-detail.png');

  await span.locator('.span-row').click();
  check('a second click closes it', await span.locator('.span-detail').count() === 0);

  await page.click(`[data-test=side] a[href="#/versions/${p.namespace}/${p.version}"]`);
  const source = await page.waitForSelector('[data-test=source]');
  check('the version page shows the exact source', await source.textContent() === p.source);
  check('highlighted', await page.locator('[data-test=source] .tok-keyword').count() > 5
    && await page.locator('[data-test=source] .tok-string').count() > 0
    && await page.locator('[data-test=source] .line').count() === p.source.replace(/\n$/, '').split('\n').length);
  check('and the declared inputs', (await page.textContent('[data-test=inputs]')).includes('steps'));
  await screenshot(page, 'version-source.png');
  await page.setViewportSize({ width: 1400, height: 900 });
  const fit = await page.$eval('[data-test=inputs]', t => {
    const panel = t.parentElement;
    const style = getComputedStyle(panel);
    return { table: Math.ceil(t.getBoundingClientRect().width),
      panel: panel.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) };
  });
  check('the inputs table fits its panel at 1400 px', fit.table <= fit.panel, fit);
  await screenshot(page, 'version-1400.png');
  await page.setViewportSize({ width: 1440, height: 900 });

  await page.goto(`${base}/#/workflows`);
  const workflow = page.locator(`tr[data-workflow="${p.namespace}/${p.workflow}"]`);
  await workflow.waitFor();
  check('the workflows list shows the workflow as Ready', await workflow.locator('.chip').textContent() === 'Ready');
  check('with its version', await page.locator(`tr[data-version="${p.namespace}/${p.version}"] .tag`).textContent() === 'current');
  await screenshot(page, 'workflows.png');
}

/** A running Play: new spans appear without a reload; polling stops once the Play ended. */
async function live(page, p) {
  const polls = [];
  const playApi = `/api/v1/namespaces/${p.namespace}/plays/${p.play}`;
  page.on('response', r => {
    if (new URL(r.url()).pathname === playApi) polls.push({ at: Date.now(), status: r.status() });
  });
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForSelector('.page-head .chip');
  await page.evaluate(() => { window.__sameDocument = 'yes'; });
  const phase0 = await page.textContent('.page-head .chip');
  check('the play is running when the page opens', phase0 === 'Running', phase0);
  check('the page says it is live', await page.getAttribute('.play-page', 'data-polling') === 'true');
  const count0 = await page.locator('.span-tree .span').count();
  const started = Date.now();
  await page.waitForFunction(n => document.querySelectorAll('.span-tree .span').length >= n, count0 + 2, { timeout: 30000 });
  result.metrics.secondsUntilTwoNewSpans = (Date.now() - started) / 1000;
  check('new spans appear without a reload', await page.evaluate(() => window.__sameDocument) === 'yes');
  check('the Pod log is followed while the Pod runs', await eventually(page, () =>
    /following/.test(document.querySelector('[data-test=pod-log-status]')?.textContent || '')
    && /tick \d done/.test(document.querySelector('[data-test=pod-log]')?.textContent || ''), null, 15000),
  await page.textContent('[data-test=pod-log-status]'));
  const logAtStart = (await page.textContent('[data-test=pod-log]')).length;
  await screenshot(page, 'live-running.png');

  await page.waitForSelector('.play-page[data-polling="false"]', { timeout: 90000 });
  const ended = Date.now();
  check('the phase chip turns final', await page.textContent('.page-head .chip') === p.finalPhase);
  check('still the same document', await page.evaluate(() => window.__sameDocument) === 'yes');
  const rows = await page.$$eval('.span-tree .span', els => els.map(e => [e.querySelector('.span-name').textContent, e.getAttribute('data-status')]));
  check('the tree ends with every span', rows.length === p.spanCount && rows.every(([, s]) => s === 'Ok'), rows);
  check('the log grew as the Play ran, and is no longer followed once it ended', await eventually(page, n =>
    (document.querySelector('[data-test=pod-log]')?.textContent || '').length > n
    && !/following/.test(document.querySelector('[data-test=pod-log-status]')?.textContent || ''), logAtStart, 10000),
  await page.textContent('[data-test=pod-log-status]'));
  const pollsAtEnd = polls.length;
  await page.waitForTimeout(3000);
  check('no request for the play after it ended', polls.length === pollsAtEnd, polls.slice(pollsAtEnd));
  const running = polls.filter(x => x.at <= ended);
  result.metrics.polls = running.length;
  result.metrics.notModified = running.filter(x => x.status === 304).length;
  result.metrics.meanPollIntervalMs = running.length > 1 ? Math.round((running.at(-1).at - running[0].at) / (running.length - 1)) : null;
  check('polled about every 800 ms while running', result.metrics.meanPollIntervalMs !== null && result.metrics.meanPollIntervalMs < 1500,
    result.metrics.meanPollIntervalMs);
  await screenshot(page, 'live-finished.png');
}

/**
 * A running Play deleted while its page is open: the page says so and stops polling. The test deletes
 * the Play once this scenario writes p.deleteSignal (a file), so the page surely saw it first.
 * Then a Play that never existed: the page gives up after its retries instead of retrying forever.
 */
async function deleted(page, p) {
  const polls = [];
  const playApi = `/api/v1/namespaces/${p.namespace}/plays/${p.play}`;
  page.on('response', r => {
    if (new URL(r.url()).pathname === playApi) polls.push(r.status());
  });
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForSelector('.page-head .chip');
  check('the page is live while the play runs', await page.getAttribute('.play-page', 'data-polling') === 'true');
  writeFileSync(p.deleteSignal, 'delete now\n');
  const saidSo = await eventually(page, () => document.querySelector('.play-page')?.getAttribute('data-deleted') === 'true', null, 60000);
  check('the page notices the play was deleted', saidSo);
  check('and no longer says it is live', await page.getAttribute('.play-page', 'data-polling') === 'false'
    && (await page.textContent('[data-test="live"]')) === '');
  const banner = await page.textContent('.play-page .message');
  check('the banner says it was deleted', banner.includes(`Play ${p.namespace}/${p.play} was deleted`), banner);
  check('what was shown stays on the page', await page.locator('.span-tree .span').count() > 0);
  await screenshot(page, 'deleted.png');
  const pollsAtEnd = polls.length;
  await page.waitForTimeout(3000);
  check('no request for the play after that', polls.length === pollsAtEnd, polls.slice(pollsAtEnd));

  await page.goto(`${base}/#/plays/${p.namespace}/${p.missing}`);
  const gaveUp = await eventually(page, () => document.querySelector('.play-page')?.getAttribute('data-deleted') === 'true', null, 30000);
  check('a play that never existed is given up on', gaveUp);
  const missingBanner = await page.textContent('.play-page .message');
  check('saying it was not found', missingBanner.includes(`Play ${p.namespace}/${p.missing} not found: it does not exist or was deleted`), missingBanner);
  check('and stops polling', await page.getAttribute('.play-page', 'data-polling') === 'false');
}

/** Strings a flow produced are text: shown literally, never run. */
async function xss(page, p) {
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForSelector('.play-page[data-polling="false"]');
  const names = await page.$$eval('.span-name', els => els.map(e => e.textContent));
  for (const evil of p.evil) {
    check(`span name shown literally: ${evil}`, names.includes(evil), names);
  }
  const rows = page.locator('.span-tree .span');
  const count = await rows.count();
  for (let i = 0; i < count; i++) await rows.nth(i).locator('.span-row').click();
  const details = await page.$$eval('.span-detail', els => els.map(e => e.textContent));
  const logs = await page.$$eval('[data-test=logs]', els => els.map(e => e.textContent));
  const tags = await page.$$eval('pre.tags', els => els.map(e => e.textContent));
  const rpcs = await page.$$eval('[data-test=rpc]', els => els.map(e => e.textContent));
  const output = await page.textContent('[data-test=output]');
  const errors = await page.$$eval('[data-test=span-error]', els => els.map(e => e.textContent));
  const children = await page.$$eval('[data-test=child-play] a', els => els.map(e => e.textContent));
  for (const evil of p.evil) {
    const asJson = JSON.stringify(evil).slice(1, -1);
    check(`logs literal: ${evil}`, logs.some(l => l.split('\n').includes(evil)), logs);
    check(`tags literal: ${evil}`, tags.some(t => t.includes(asJson)), tags);
    check(`rpc service literal: ${evil}`, rpcs.includes(evil + '.' + p.method), rpcs);
    check(`output literal: ${evil}`, output.includes(asJson), output);
    check(`error message literal: ${evil}`, errors.some(e => e.includes(evil)), errors);
    check(`child play link text literal: ${evil}`, children.includes('elsewhere/' + evil) || details.some(d => d.includes('elsewhere/' + evil)), children);
  }
  const childLinks = await page.$$eval('[data-test=child-play] a', els => els.map(e => [e.textContent, e.getAttribute('href')]));
  const img = childLinks.find(([text]) => text === 'elsewhere/' + p.evil[1]);
  check('a child play tag links to that play, its name encoded', img && decodeURIComponent(img[1]) === '#/plays/elsewhere/' + p.evil[1], childLinks);
  await screenshot(page, 'xss.png');
  await nothingInjected(page, 'on the play page');
  await page.goto(`${base}/#/versions/${p.namespace}/${p.version}`);
  const source = await page.waitForSelector('[data-test=source]');
  check('the source, holding the same strings, is shown exactly', await source.textContent() === p.source);
  await nothingInjected(page, 'on the version page');

  await page.goto(`${base}/#/plays/${p.namespace}/${p.failedPlay}`);
  await page.waitForSelector('.play-page[data-polling="false"]');
  check('a failed play has a Failed chip', await page.textContent('.page-head .chip') === 'Failed');
  const error = await page.textContent('[data-test=play-error]');
  check('its error is shown literally, with the traceback', error.includes('RuntimeError: ' + p.evil[1]) && error.includes('Traceback'), error);
  await screenshot(page, 'xss-failed.png');
  await nothingInjected(page, 'on the failed play\'s page');
}

async function nothingInjected(page, where) {
  const state = await page.evaluate(() => ({
    xss: window.__xss === undefined ? null : String(window.__xss),
    images: document.images.length,
    scripts: [...document.scripts].map(s => s.getAttribute('src')),
    embedded: document.querySelectorAll('iframe, object, embed, [onerror], [onload], [onclick]').length,
  }));
  check(`no injected script ran ${where}`, state.xss === null, state.xss);
  check(`no element was made from a string ${where}`, state.images === 0 && state.embedded === 0
    && state.scripts.length === 1 && state.scripts[0] === 'js/app.js', state);
}

/** A Play with about a thousand spans renders in one pass and stays usable. */
async function large(page, p) {
  const started = Date.now();
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForFunction(n => document.querySelectorAll('.span-tree .span').length === n, p.spanCount, { timeout: 60000, polling: 50 });
  result.metrics.wallMsUntilAllRows = Date.now() - started;
  await page.waitForFunction(() => performance.getEntriesByName('span-tree-frame').length > 0);
  const timing = await page.evaluate(() => ({
    renderMs: performance.getEntriesByName('span-tree-render')[0].duration,
    frameMs: performance.getEntriesByName('span-tree-frame')[0].duration,
    renders: performance.getEntriesByName('span-tree-render').length,
    responseBytes: (performance.getEntriesByType('resource').find(r => r.name.includes('/plays/')) || {}).decodedBodySize,
  }));
  Object.assign(result.metrics, timing);
  check(`all ${p.spanCount} spans are rendered`, true);
  check('the tree is built in one pass (under 1.5 s)', timing.renderMs < 1500, timing.renderMs);
  check('and on screen within 3 s of the response (DOM, style, layout, paint)', timing.frameMs < 3000, timing.frameMs);
  const last = page.locator('.span-tree .span').last();
  await last.scrollIntoViewIfNeeded();
  await last.locator('.span-row').click();
  await last.locator('.span-detail').waitFor();
  check('the last span opens', (await last.locator('.span-name').textContent()) === p.lastSpan);
  await screenshot(page, 'large-bottom.png', false);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'large.png', false);
}

/** A trace cut by the status budget: the page says how much is shown and what was dropped. */
async function truncated(page, p) {
  const started = Date.now();
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForFunction(n => document.querySelectorAll('.span-tree .span').length === n, p.shown, { timeout: 60000, polling: 50 });
  result.metrics.wallMsUntilAllRows = Date.now() - started;
  await page.waitForFunction(() => performance.getEntriesByName('span-tree-frame').length > 0);
  Object.assign(result.metrics, await page.evaluate(() => ({
    renderMs: performance.getEntriesByName('span-tree-render')[0].duration,
    frameMs: performance.getEntriesByName('span-tree-frame')[0].duration,
  })));
  check(`the ${p.shown} spans in the status are rendered`, true);
  const count = await page.textContent('[data-test=span-count]');
  check('the span count says how many the flow reported', count === `${p.shown} of ${p.spanCount}`, count);
  const dropped = await page.textContent('[data-test=dropped]');
  check('the side panel says what was dropped', dropped.includes(`${p.droppedSpans.toLocaleString('en-US')} spans`), dropped);
  check('with the TraceTruncated message', dropped.includes(p.conditionMessage), dropped);
  await screenshot(page, 'truncated.png', false);
}

/**
 * Signing in: without a token the login page, and no data; a garbage token is refused on the
 * page; token A shows A's Plays and nothing of namespace B (not in the list, not in the namespace
 * filter, not by its URL); signing out forgets the token.
 */
async function login(page, p) {
  await page.goto(`${base}/#/plays`);
  await page.waitForSelector('[data-test=login]');
  check('without a token the login page shows', await page.locator('input[name=token]').count() === 1);
  check('and no plays', await page.locator('tr[data-play]').count() === 0);
  await screenshot(page, 'login.png');

  await page.fill('input[name=token]', 'not-a-token');
  await page.click('[data-test=login] button[type=submit]');
  check('a garbage token is refused with a message', await eventually(page,
    () => /not accepted/.test((document.querySelector('[data-test=login-status]') || {}).textContent || '')));
  check('and not kept', await page.evaluate(key => sessionStorage.getItem(key), TOKEN_KEY) === null);

  await page.fill('input[name=token]', p.tokenA);
  await page.click('[data-test=login] button[type=submit]');
  await page.locator(`tr[data-play="${p.namespace}/${p.play}"]`).waitFor();
  check('token A shows A\'s play', true);
  check('and none of B\'s', await page.locator(`tr[data-play^="${p.otherNamespace}/"]`).count() === 0);
  const namespaces = await page.$$eval('select[name=namespace] option', os => os.map(o => o.value).filter(Boolean));
  check('the namespace filter offers only A', JSON.stringify(namespaces) === JSON.stringify([p.namespace]), namespaces);
  check('the top bar names the user', (await page.textContent('[data-test=user]')) === p.userA);
  check('no demo-mode warning', await page.locator('[data-test=auth-off]').count() === 0);
  await screenshot(page, 'login-signed-in.png');

  await page.goto(`${base}/#/plays/${p.otherNamespace}/${p.otherPlay}`);
  check('B\'s play by its URL is not found', await eventually(page,
    () => /not found/.test((document.querySelector('.message-error') || {}).textContent || '')));
  check('and shows nothing of it', await page.locator('.span-tree .span').count() === 0);

  await page.click('[data-test=sign-out]');
  await page.waitForSelector('[data-test=login]');
  check('signing out forgets the token', await page.evaluate(key => sessionStorage.getItem(key), TOKEN_KEY) === null);
  await page.reload();
  await page.waitForSelector('[data-test=login]');
  check('and stays signed out after a reload', await page.locator('tr[data-play]').count() === 0);
}

/** herologic.ui.auth=none: no login, every namespace, and the page says authentication is off. */
async function demo(page, p) {
  await page.goto(`${base}/#/plays`);
  await page.locator(`tr[data-play="${p.namespace}/${p.play}"]`).waitFor();
  check('the plays show without signing in', await page.locator('[data-test=login]').count() === 0);
  const warning = await page.textContent('[data-test=auth-off]');
  check('the page says authentication is off', /authentication is off — local demo mode/i.test(warning), warning);
  check('and offers no sign-out', await page.locator('[data-test=sign-out]').count() === 0);
  await screenshot(page, 'demo-mode.png', false);

  // No signed-in user to act as: a write is refused, saying why, and nothing is deleted.
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForSelector('.page-head .chip');
  await page.click('[data-test=delete]');
  await page.click('[data-test=delete-confirm]');
  check('Delete is refused: no user to act as', await eventually(page, () =>
    /Not deleted: Actions are off: the UI runs with HEROLOGIC_UI_AUTH=none, so there is no signed-in user to act as/
      .test(document.querySelector('[data-test=action-status]').textContent)), await page.textContent('[data-test=action-status]'));
  await page.waitForTimeout(1500);
  check('and the Play is still shown', await page.getAttribute('.play-page', 'data-deleted') === null);
}

/**
 * An LLM call reads as a conversation: the messages by role, model, tokens, latency and cost, the
 * raw attributes one click away; tokens and cost in the tree row; the Play's cost in the side panel.
 */
async function conversation(page, p) {
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForSelector('.play-page[data-polling="false"]');
  const row = name => page.locator('.span-tree .span').filter({ has: page.locator('.span-name', { hasText: name }) });
  const priced = row(p.pricedSpan);
  const unpriced = row(p.unpricedSpan);
  check('the tree row shows tokens and cost', (await priced.locator('[data-test=span-meta]').textContent()) === p.pricedMeta,
    await priced.locator('[data-test=span-meta]').textContent());
  check('a model without a price shows tokens only', (await unpriced.locator('[data-test=span-meta]').textContent()) === p.unpricedMeta,
    await unpriced.locator('[data-test=span-meta]').textContent());
  await priced.locator('.span-row').click();
  const messages = await priced.locator('[data-test=conversation] .msg').evaluateAll(els => els.map(e => [e.getAttribute('data-role'), e.querySelector('.msg-text').textContent]));
  check('the messages in order, with their roles', sameJson(messages, p.messages), messages);
  check('the model that answered', (await priced.locator('[data-test=llm-model]').textContent()) === p.model);
  check('input and output tokens', (await priced.locator('[data-test=llm-tokens]').textContent()) === p.tokens,
    await priced.locator('[data-test=llm-tokens]').textContent());
  check('the cost', (await priced.locator('[data-test=llm-cost]').textContent()) === p.cost, await priced.locator('[data-test=llm-cost]').textContent());
  const facts = await priced.locator('.facts').first().textContent();
  check('and the latency', /Latency\d/.test(facts) || /Latency[\d.]+m?s/.test(facts), facts);
  check('the raw attributes are closed at first', !(await priced.locator('details.raw').evaluate(d => d.open)) && !(await priced.locator('pre.tags').isVisible()));
  await priced.locator('details.raw > summary').click();
  const raw = JSON.parse(await priced.locator('pre.tags').textContent());
  check('one click shows them', await priced.locator('pre.tags').isVisible() && raw['gen_ai.request.model'] === p.requestModel, raw);
  await unpriced.locator('.span-row').click();
  check('the unpriced call says it has no price', (await unpriced.locator('[data-test=llm-cost]').textContent()) === 'no price for this model');
  const playCost = await page.textContent('[data-test=play-cost]');
  check('the Play\'s cost sums its priced calls and names the unpriced model', playCost === p.playCost, playCost);
  await priced.scrollIntoViewIfNeeded();
  await screenshot(page, 'conversation.png');
}

/** In the page: window.__inFrame(action) runs action, waits for the next painted frame, and answers the milliseconds it took. */
async function installFrameTimer(page) {
  await page.evaluate(() => {
    window.__inFrame = async action => {
      await new Promise(r => requestAnimationFrame(() => r()));
      const started = performance.now();
      action();
      return new Promise(r => requestAnimationFrame(() => setTimeout(() => r(performance.now() - started))));
    };
  });
}

const visibleRows = page => page.evaluate(() => document.querySelectorAll('.span-tree .span:not([hidden])').length);
const currentName = page => page.evaluate(() => document.querySelector('.span-row.current .span-name')?.textContent || null);

/**
 * A 2,000-span Play: collapse and expand (one subtree, all), the keyboard, search and filters with
 * jumps between matches and errors, the deep link to a span, the time axis and zoom. Each
 * interaction is timed from the event to the next painted frame and printed (metrics), not asserted.
 */
async function bigtree(page, p) {
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForFunction(n => document.querySelectorAll('.span-tree .span').length === n, p.spanCount, { timeout: 60000, polling: 100 });
  await page.waitForSelector('.play-page[data-polling="false"]');
  check(`all ${p.spanCount} spans are there`, true);
  await installFrameTimer(page);
  const m = result.metrics;

  m.collapseAllMs = await page.evaluate(() => window.__inFrame(() => document.querySelector('[data-test=collapse-all]').click()));
  check('Collapse all leaves the root', await visibleRows(page) === 1, await visibleRows(page));
  m.expandOneMs = await page.evaluate(() => window.__inFrame(() => document.querySelector('.span-tree .span .caret').click()));
  check('expanding the root shows its children only', await visibleRows(page) === 1 + p.groups, await visibleRows(page));
  await screenshot(page, 'bigtree-collapsed.png', false);
  m.expandAllMs = await page.evaluate(() => window.__inFrame(() => document.querySelector('[data-test=expand-all]').click()));
  check('Expand all shows every span', await visibleRows(page) === p.spanCount, await visibleRows(page));

  // The keyboard: ↓ moves, ← collapses, → expands then steps in, ← on a leaf goes to the parent.
  await page.locator('.span-tree .span-row').first().focus();
  await page.keyboard.press('ArrowDown');
  check('↓ moves to the next row', await currentName(page) === p.firstGroup, await currentName(page));
  m.collapseOneMs = await page.evaluate(() => window.__inFrame(() => document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }))));
  check('← collapses the subtree', await visibleRows(page) === p.spanCount - p.perGroup, await visibleRows(page));
  await page.keyboard.press('ArrowRight');
  check('→ expands it again', await visibleRows(page) === p.spanCount);
  await page.keyboard.press('ArrowRight');
  check('→ on an open row steps into its first child', await currentName(page) === p.firstItem, await currentName(page));
  await page.keyboard.press('ArrowLeft');
  check('← on a leaf goes to the parent', await currentName(page) === p.firstGroup, await currentName(page));
  await page.keyboard.press('ArrowUp');
  check('↑ moves up', await currentName(page) === p.rootName, await currentName(page));

  // "/" searches: text in tags and logs, counted; Enter jumps to the match.
  await page.locator('h1').click();
  await page.keyboard.press('/');
  check('/ puts the cursor in the search box', await page.evaluate(() => document.activeElement?.getAttribute('data-test')) === 'span-search');
  m.searchMs = await page.evaluate(needle => window.__inFrame(() => {
    const search = document.querySelector('[data-test=span-search]');
    search.value = needle;
    search.dispatchEvent(new Event('input'));
  }), p.needle);
  check('the search finds the span by a tag value', (await page.textContent('[data-test=match-count]')) === '1 match', await page.textContent('[data-test=match-count]'));
  await page.keyboard.press('Enter');
  check('Enter jumps to it', await currentName(page) === p.needleSpan, await currentName(page));
  await page.fill('[data-test=span-search]', p.logText);
  check('and by a log line', (await page.textContent('[data-test=match-count]')) === '1 match', await page.textContent('[data-test=match-count]'));
  await page.fill('[data-test=span-search]', 'item 0');
  const many = await page.textContent('[data-test=match-count]');
  await page.keyboard.press('Enter');
  const first = await currentName(page);
  await page.keyboard.press('Enter');
  const second = await currentName(page);
  await page.keyboard.press('Shift+Enter');
  check('Enter and Shift+Enter step through the matches', /^\d+ of \d+ matches$/.test(await page.textContent('[data-test=match-count]'))
    && first !== second && await currentName(page) === first, { many, first, second });
  m.onlyMatchesMs = await page.evaluate(() => window.__inFrame(() => document.querySelector('[data-test=span-only]').click()));
  const shown = await page.$$eval('.span-tree .span:not([hidden]) .span-name', els => els.map(e => e.textContent));
  check('"only matches" hides the rest but keeps the path to each match', shown.every(n => n.startsWith('item 0') || n.startsWith('group') || n === p.rootName)
    && shown.some(n => n.startsWith('item 0')), shown.slice(0, 12));
  await screenshot(page, 'bigtree-searched.png', false);
  await page.click('[data-test=span-only]');
  await page.fill('[data-test=span-search]', '');
  await page.selectOption('[data-test=span-status-filter]', 'Error');
  check('the status filter finds the failed span', (await page.textContent('[data-test=match-count]')) === '1 match');
  await page.selectOption('[data-test=span-status-filter]', '');
  await page.selectOption('[data-test=span-kind-filter]', 'llm');
  check('the kind filter', (await page.textContent('[data-test=match-count]')) === '1 match', await page.textContent('[data-test=match-count]'));
  await page.selectOption('[data-test=span-kind-filter]', '');
  await page.click('[data-test=collapse-all]');
  await page.click('[data-test=next-error]');
  check('Next error jumps to the failed span, opening what hid it', await currentName(page) === p.errorSpan
    && await page.locator('.span-row.current').isVisible(), await currentName(page));
  await page.click('[data-test=expand-all]');

  m.scrollMs = await page.evaluate(() => window.__inFrame(() => window.scrollTo(0, document.body.scrollHeight)));
  m.scrollBackMs = await page.evaluate(() => window.__inFrame(() => window.scrollTo(0, 0)));

  // The time axis: round ticks from 0; zoom in narrows the window, the whole trace comes back.
  const ticks = await page.$$eval('[data-test=span-axis] .tick', els => els.map(e => e.textContent));
  check('a time axis with round ticks from 0', ticks.length >= 3 && ticks[0] === '0', ticks);
  await page.click('[data-test=zoom-in]');
  await page.click('[data-test=zoom-in]');
  const zoomed = await page.$$eval('[data-test=span-axis] .tick', els => els.map(e => e.textContent));
  check('zooming in shows a narrower window', await page.getAttribute('.span-tree', 'data-zoomed') === 'true' && zoomed[0] !== '0', zoomed);
  await page.click('[data-test=zoom-reset]');
  check('and Whole trace shows all of it again', await page.getAttribute('.span-tree', 'data-zoomed') === 'false');

  // A deep link opens its span, even under a collapsed parent.
  const id = await page.$eval('.span-tree .span', (_, name) => [...document.querySelectorAll('.span-tree .span')]
    .find(e => e.querySelector('.span-name').textContent === name).getAttribute('data-span-id'), p.needleSpan);
  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}?span=${id}`);
  await page.reload();
  await page.waitForSelector(`.span[data-span-id="${id}"] .span-detail`, { timeout: 30000 });
  check('a link to a span opens it', await page.locator(`.span[data-span-id="${id}"] .span-detail`).isVisible());
  check('and it is the current row', await currentName(page) === p.needleSpan);
  console.error('bigtree timings (ms): ' + JSON.stringify(m));
}

/**
 * Everything about one Play on its page: parent and child links both ways, its Events, its Pod's
 * raw log, the effective inputs beside the given ones, and a traceback's frame linking to its line.
 */
async function oneplace(page, p) {
  await page.goto(`${base}/#/plays/${p.namespace}/${p.parent}`);
  await page.waitForSelector('.play-page[data-polling="false"]');
  const children = await page.$$eval('[data-test=children] li', els => els.map(e => e.getAttribute('data-child')));
  check('the parent lists its child', JSON.stringify(children) === JSON.stringify([p.child]), children);
  check('Events of the Play, read as the viewer', await eventually(page, reasons => reasons.every(r =>
    document.querySelector(`[data-test=events] tr[data-reason="${r}"]`)), p.reasons, 15000), await page.textContent('[data-test=events]'));
  check('the Pod\'s raw log', await eventually(page, text => (document.querySelector('[data-test=pod-log]')?.textContent || '').includes(text), p.logText, 15000),
    (await page.textContent('[data-test=pod-log]')).slice(0, 400));
  const effective = await page.$$eval('[data-test=effective-input] tr', rows => rows.map(r => [r.getAttribute('data-input'),
    r.getAttribute('data-source'), r.children[1].textContent]));
  check('the effective inputs: given ones and defaults, marked', sameJson(effective, p.effective), effective);
  await screenshot(page, 'play-one-place.png');
  await page.click(`[data-test=children] a`);
  await page.waitForFunction(child => location.hash.endsWith('/' + child), p.child);
  await page.waitForSelector('[data-test=parent] a');
  check('the child links back to its parent', (await page.textContent('[data-test=parent] a')) === p.parent);
  await page.click('[data-test=parent] a');
  await page.waitForFunction(parent => location.hash.endsWith('/' + parent), p.parent);
  check('and the link leads there', true);

  await page.goto(`${base}/#/plays/${p.namespace}/${p.failed}`);
  await page.waitForSelector('[data-test=frame-link]');
  const frames = await page.$$eval('[data-test=frame-link]', els => els.map(e => e.textContent));
  check('the traceback\'s frames in the flow link to their lines', sameJson(frames, p.frames), frames);
  await page.locator('[data-test=frame-link]').last().click();
  const hit = await page.waitForSelector('[data-test=hit]');
  check('the version\'s source opens with that line marked', (await hit.textContent()).includes(p.hitText), await hit.textContent());
  check('and in view', await hit.isVisible());
  await screenshot(page, 'source-line.png', false);
}

/** A viewer who may read Plays but not Events or Pod logs: the API server's refusals, shown where they would be. */
async function oneplaceViewer(page, p) {
  await page.goto(`${base}/#/plays/${p.namespace}/${p.parent}`);
  await page.waitForSelector('.play-page[data-polling="false"]');
  check('Events refused by RBAC, saying so', await eventually(page, text => (document.querySelector('[data-test=events]')?.textContent || '').includes(text),
    `User "${p.user}" cannot list resource "events"`, 15000), await page.textContent('[data-test=events]'));
  check('the Pod log refused by RBAC, saying so', await eventually(page, text => (document.querySelector('[data-test=pod-log-status]')?.textContent || '').includes(text),
    `User "${p.user}" cannot get resource "pods/log"`, 15000), await page.textContent('[data-test=pod-log-status]'));
  check('and no log text', (await page.textContent('[data-test=pod-log]')) === '');
}

/**
 * The list at scale: server-side pages, free text that finds an input value, the phase and time
 * filters; then the Workflow page's run statistics with its chart.
 */
async function listscale(page, p) {
  const info = () => page.textContent('[data-test=page-info]');
  const rowCount = () => page.locator('tr[data-play]').count();
  await page.goto(`${base}/#/plays?namespace=${p.namespace}&limit=5`);
  check('the first page of 5', await eventually(page, total => document.querySelector('[data-test=page-info]')?.textContent === `1–5 of ${total}`, p.total),
    await info());
  check('five rows on it', await rowCount() === 5);
  check('no newer page', await page.isDisabled('[data-test=page-prev]'));
  await page.click('[data-test=page-next]');
  check('Older shows the next page', await eventually(page, total => document.querySelector('[data-test=page-info]')?.textContent === `6–10 of ${total}`, p.total), await info());
  await page.click('[data-test=page-next]');
  check('and the last', await eventually(page, t => document.querySelector('[data-test=page-info]')?.textContent === `11–${t} of ${t}`, p.total), await info());
  check('which has no older page', await page.isDisabled('[data-test=page-next]'));
  check('the page is in the address', new URL(page.url()).hash.includes('page=3'), page.url());
  await page.click('[data-test=page-prev]');
  check('Newer goes back', await eventually(page, total => document.querySelector('[data-test=page-info]')?.textContent === `6–10 of ${total}`, p.total), await info());

  await page.fill('input[name=q]', p.inputValue.toUpperCase());
  check('free text finds the Play by an input value, any case', await eventually(page, name => {
    const rows = [...document.querySelectorAll('tr[data-play]')];
    return rows.length === 1 && rows[0].getAttribute('data-play').endsWith('/' + name);
  }, p.inputPlay), await page.$$eval('tr[data-play]', rs => rs.map(r => r.getAttribute('data-play'))));
  check('and starts from the first page', (await info()) === '1–1 of 1', await info());
  await screenshot(page, 'plays-search.png', false);
  await page.fill('input[name=q]', '');
  await page.selectOption('select[name=phase]', 'Failed');
  check('the phase filter', await eventually(page, n => document.querySelectorAll('tr[data-play]').length === n
    && [...document.querySelectorAll('tr[data-play] .chip')].every(c => c.textContent === 'Failed'), p.failed), await rowCount());
  await page.selectOption('select[name=phase]', '');
  await page.selectOption('select[name=range]', '1h');
  check('the time range keeps the Plays of the last hour', await eventually(page, total =>
    document.querySelector('[data-test=page-info]')?.textContent === `1–5 of ${total}`, p.total), await info());

  await page.goto(`${base}/#/workflows/${p.namespace}/${p.workflow}`);
  await page.waitForSelector('[data-test=stats-chart]');
  const text = async t => (await page.textContent(`[data-test=${t}]`)).trim();
  check('runs counted by phase', (await text('stats-runs')).startsWith(`${p.total} (`), await text('stats-runs'));
  check('the success rate', await text('stats-success') === p.successText, await text('stats-success'));
  check('p50 and p95 durations', /\d/.test(await text('stats-p50')) && /\d/.test(await text('stats-p95')), [await text('stats-p50'), await text('stats-p95')]);
  check('tokens summed', await text('stats-tokens') === p.tokensText, await text('stats-tokens'));
  check('cost summed from the price table', await text('stats-cost') === p.costText, await text('stats-cost'));
  const bars = await page.$$eval('[data-test=stats-chart] rect', rs => rs.map(r => r.getAttribute('data-phase')));
  check('a bar per run, failures marked', bars.length === p.total && bars.filter(b => b === 'Failed').length === p.failed, bars);
  await screenshot(page, 'workflow-stats.png');
}

/** Where the app is, decoded: "#/plays/ns/name". */
async function hashOf(page) {
  return decodeURIComponent(new URL(page.url()).hash);
}

/**
 * Run, Re-run, Cancel and Delete as a person with the rights to: the run form generated from the
 * declared inputs, validated before anything is sent; the Play it made; a re-run of it with edited
 * inputs, cancelled; then the first one deleted. The Plays' names go back to the test (metrics).
 */
async function actions(page, p) {
  const writes = [];
  page.on('request', r => { if (r.method() !== 'GET') writes.push(r.method() + ' ' + new URL(r.url()).pathname); });
  await page.goto(`${base}/#/workflows/${p.namespace}/${p.workflow}`);
  await page.click('[data-test=run]');
  await page.waitForSelector('[data-test=run-form]');
  const fields = await page.$$eval('[data-field]', els => els.map(e => {
    const control = e.querySelector('input, textarea');
    return { name: e.getAttribute('data-field'), type: control.type, value: control.type === 'checkbox' ? control.checked : control.value,
      required: !!e.querySelector('.tag-required'), help: e.querySelector('.field-help')?.textContent || '' };
  }));
  const byName = Object.fromEntries(fields.map(f => [f.name, f]));
  check('a field for every declared input, in order', JSON.stringify(fields.map(f => f.name)) === JSON.stringify(['topic', 'steps', 'loud', 'pause']), fields);
  check('the required input is marked and empty', byName.topic.required && byName.topic.value === '', byName.topic);
  check('defaults are filled in', byName.steps.value === '2' && byName.loud.value === false && byName.pause.value === '0', fields);
  check('a boolean is a checkbox', byName.loud.type === 'checkbox', byName.loud);
  check('descriptions and defaults are shown', byName.steps.help.includes('how many steps') && byName.steps.help.includes('default 2'), byName.steps);
  await screenshot(page, 'run-form.png');

  await page.fill('#in-steps', '1.5');
  await page.click('[data-test=run-submit]');
  const topicError = await page.textContent('[data-error-for=topic]');
  const stepsError = await page.textContent('[data-error-for=steps]');
  check('an empty required input is refused before sending', topicError === 'topic is required', topicError);
  check('a wrong type is refused before sending, naming the field', stepsError === 'steps must be a whole number, got "1.5"', stepsError);
  check('nothing was sent', writes.length === 0, writes);
  check('the first bad field has the focus', await page.evaluate(() => document.activeElement?.id) === 'in-topic');
  await screenshot(page, 'run-form-invalid.png');

  await page.fill('#in-topic', 'cats');
  await page.fill('#in-steps', '2');
  await page.check('#in-loud');
  await page.click('[data-test=run-submit]');
  await page.waitForFunction(ns => location.hash.startsWith(`#/plays/${ns}/form-`), p.namespace);
  const first = (await hashOf(page)).split('/').pop();
  result.metrics.createdPlay = first;
  check('one POST created the Play, and the page opened it', writes.length === 1 && writes[0] === `POST /api/v1/namespaces/${p.namespace}/plays`, writes);
  await page.waitForSelector('.play-page[data-polling="false"]', { timeout: 90000 });
  check('it ran and succeeded', await page.textContent('.page-head .chip') === 'Succeeded');
  const given = JSON.parse(await page.textContent('[data-test=input] pre'));
  check('with the inputs from the form', sameJson(given, { topic: 'cats', steps: 2, loud: true, pause: 0 }), given);
  check('Cancel is off for a finished Play', await page.isDisabled('[data-test=cancel]'));

  await page.click('[data-test=rerun]');
  await page.waitForSelector('[data-test=run-form]');
  check('the re-run form has the Play\'s inputs', await page.inputValue('#in-topic') === 'cats' && await page.isChecked('#in-loud')
    && await page.inputValue('#in-steps') === '2');
  await page.fill('#in-topic', 'dogs');
  await page.fill('#in-pause', '30');
  await page.click('[data-test=run-submit]');
  await page.waitForFunction(([ns, old]) => location.hash.startsWith(`#/plays/${ns}/form-`) && !location.hash.endsWith('/' + old), [p.namespace, first]);
  const rerun = (await hashOf(page)).split('/').pop();
  result.metrics.rerunPlay = rerun;
  await page.waitForSelector('.page-head .chip');
  const rerunInputs = JSON.parse(await page.textContent('[data-test=input] pre'));
  check('the re-run has the edited inputs', sameJson(rerunInputs, { topic: 'dogs', steps: 2, loud: true, pause: 30 }), rerunInputs);

  await page.waitForFunction(() => !document.querySelector('[data-test=cancel]').disabled);
  await page.click('[data-test=cancel]');
  const said = await eventually(page, () => /Cancel requested/.test(document.querySelector('[data-test=action-status]').textContent));
  check('Cancel says it was requested', said, await page.textContent('[data-test=action-status]'));
  check('and the Play ends as Cancelled', await eventually(page, () => document.querySelector('.page-head .chip')?.textContent === 'Cancelled', null, 90000),
    await page.textContent('.page-head .chip'));
  await screenshot(page, 'cancelled.png', false);

  await page.goto(`${base}/#/plays/${p.namespace}/${first}`);
  await page.waitForSelector('.page-head .chip');
  await page.click('[data-test=delete]');
  check('Delete asks first, on the page', await page.locator('[data-test=delete-confirm]').count() === 1 && writes.filter(w => w.startsWith('DELETE')).length === 0);
  await page.click('[data-test=delete-keep]');
  check('Keep changes nothing', await page.locator('[data-test=delete-confirm]').count() === 0 && writes.filter(w => w.startsWith('DELETE')).length === 0);
  await page.click('[data-test=delete]');
  await page.click('[data-test=delete-confirm]');
  check('Delete says so', await eventually(page, (text) => document.querySelector('[data-test=action-status]').textContent.includes(text),
    `Play ${p.namespace}/${first} deleted.`));
  check('and the page then finds it gone', await eventually(page, () => document.querySelector('.play-page')?.getAttribute('data-deleted') === 'true', null, 30000));
}

/**
 * A person who may only look: Run, Cancel and Delete are each refused by the API server, and the
 * page shows its message, which names that person: the writes were theirs, not the operator's.
 */
async function refused(page, p) {
  const forbidden = verb => `User "${p.user}" cannot ${verb} resource "plays" in API group "herologic.io"`;
  await page.goto(`${base}/#/run/${p.namespace}/${p.workflow}`);
  await page.waitForSelector('[data-test=run-form]');
  await page.fill('#in-topic', 'not allowed');
  await page.click('[data-test=run-submit]');
  check('Run is refused with the API server\'s message', await eventually(page, text =>
    (document.querySelector('[data-test=run-error]')?.textContent || '').includes(text), forbidden('create')),
  await page.textContent('[data-test=run-error]'));
  check('and the form stays', (await hashOf(page)) === `#/run/${p.namespace}/${p.workflow}` && await page.isEnabled('[data-test=run-submit]'));
  await screenshot(page, 'run-refused.png', false);

  await page.goto(`${base}/#/plays/${p.namespace}/${p.play}`);
  await page.waitForFunction(() => document.querySelector('[data-test=cancel]') && !document.querySelector('[data-test=cancel]').disabled);
  await page.click('[data-test=cancel]');
  const status = () => page.textContent('[data-test=action-status]');
  check('Cancel is refused with the API server\'s message', await eventually(page, text =>
    document.querySelector('[data-test=action-status]').textContent.includes(text), forbidden('patch')), await status());
  check('the refusal starts with what did not happen', (await status()).startsWith('Not cancelled: '), await status());
  await page.click('[data-test=delete]');
  await page.click('[data-test=delete-confirm]');
  check('Delete is refused with the API server\'s message', await eventually(page, text =>
    document.querySelector('[data-test=action-status]').textContent.includes(text), forbidden('delete')), await status());
  await screenshot(page, 'delete-refused.png', false);
  check('the Play is still there and not cancelled', await page.textContent('.page-head .chip') !== 'Cancelled'
    && await page.getAttribute('.play-page', 'data-deleted') === null);
}

main().then(
  () => {
    console.log(JSON.stringify(result));
    process.exit(result.ok ? 0 : 1);
  },
  e => {
    result.errors.push(String(e && e.stack || e));
    console.log(JSON.stringify(result));
    process.exit(2);
  });
