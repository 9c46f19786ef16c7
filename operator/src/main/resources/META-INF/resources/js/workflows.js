// Workflows with their versions, one Workflow, and one version with its source (read-only).
import { getJson, getText, paths } from './api.js';
import { conditionsTable, facts, formatAge, formatDuration, formatNumber, formatTime, h, link, message, readyChip, route, section } from './dom.js';
import { formatUsd } from './llm.js';
import { highlight } from './python.js';

export function workflowsPage(main) {
  const status = h('div');
  const body = h('tbody');
  main.append(
    h('div', { className: 'page-head' }, h('h1', null, 'Workflows')),
    status,
    h('table', { className: 'grid workflows', 'data-test': 'workflows' },
      h('thead', null, h('tr', null, ...['Namespace', 'Workflow / version', 'Ready', 'Flow', 'Digest', 'Source', 'Age'].map(t => h('th', null, t)))),
      body));
  const controller = new AbortController();
  getJson(paths.workflows(), { signal: controller.signal }).then(({ body: workflows }) => {
    if (!workflows.length) status.append(message('info', 'No workflows yet.'));
    const now = Date.now();
    const rows = [];
    for (const w of workflows) {
      rows.push(h('tr', { className: 'workflow-row', 'data-workflow': w.namespace + '/' + w.name },
        h('td', null, w.namespace),
        h('td', null, link(['workflows', w.namespace, w.name], w.name), w.exists ? '' : h('span', { className: 'muted' }, ' (no Workflow object)')),
        h('td', null, w.exists ? readyChip(w.ready, conditionText(w.conditions)) : ''),
        h('td', null, w.flowName || ''),
        h('td', null, digest(w.digest)),
        h('td', { className: 'muted' }, w.exists ? `${w.versions.length} version${w.versions.length === 1 ? '' : 's'}` : ''),
        h('td', { title: w.created || '' }, w.created ? formatAge(w.created, now) : '')));
      for (const v of w.versions) rows.push(versionRow(v, now));
    }
    body.replaceChildren(...rows);
  }).catch(e => {
    if (e.name !== 'AbortError') status.append(message('error', 'Could not load workflows: ' + e.message));
  });
  return () => controller.abort();
}

function versionRow(v, now) {
  return h('tr', { className: 'version-row', 'data-version': v.namespace + '/' + v.name },
    h('td'),
    h('td', { className: 'indent' }, link(['versions', v.namespace, v.name], v.name), v.current ? h('span', { className: 'tag' }, 'current') : ''),
    h('td', null, readyChip(v.ready, [v.readyReason, v.readyMessage].filter(Boolean).join(': '))),
    h('td', null, v.flowName || ''),
    h('td', null, digest(v.digest)),
    h('td', null, v.source === 'configMap' ? 'ConfigMap ' + v.sourceRef : 'inline'),
    h('td', { title: v.created || '' }, formatAge(v.created, now)));
}

export function workflowPage(main, [namespace, name], query) {
  const controller = new AbortController();
  const last = Math.min(500, Math.max(1, Number(query && query.get('last')) || 50));
  const stats = h('div', { 'data-test': 'workflow-stats' });
  main.append(h('div', { className: 'page-head' },
    h('div', { className: 'crumbs' }, link(['workflows'], 'Workflows'), ' / ', namespace, ' /'), h('h1', null, name),
    h('a', { className: 'button', href: route(['run', namespace, name]), 'data-test': 'run' }, 'Run…')));
  const content = h('div');
  main.append(content);
  getJson(paths.workflow(namespace, name), { signal: controller.signal }).then(({ body: w }) => {
    const now = Date.now();
    content.append(
      h('div', { className: 'two-col' },
        section('Workflow', facts([
          ['Ready', w.exists ? readyChip(w.ready) : 'no Workflow object; only versions name it'],
          ['Description', w.description],
          ['Current version', w.currentVersion ? link(['versions', namespace, w.currentVersion], w.currentVersion) : ''],
          ['Flow', w.flowName],
          ['Digest', digest(w.digest)],
          ['Created', formatTime(w.created)],
          ['Plays', link(['plays'], 'Plays of this workflow', { namespace, workflow: name })],
        ])),
        w.conditions.length ? section('Conditions', conditionsTable(w.conditions)) : ''),
      section(`Runs (last ${last})`, stats),
      section('Versions', h('table', { className: 'grid', 'data-test': 'versions' },
        h('thead', null, h('tr', null, ...['', 'Version', 'Ready', 'Flow', 'Digest', 'Source', 'Age'].map(t => h('th', null, t)))),
        h('tbody', null, ...w.versions.map(v => versionRow(v, now))))));
  }).catch(e => {
    if (e.name !== 'AbortError') content.append(message('error', 'Could not load the workflow: ' + e.message));
  });
  getJson(paths.workflowStats(namespace, name, last), { signal: controller.signal }).then(({ body }) => {
    stats.replaceChildren(...statsView(body));
  }).catch(e => {
    if (e.name !== 'AbortError') stats.replaceChildren(message('error', 'No run statistics: ' + e.message));
  });
  return () => controller.abort();
}

/** The run statistics: success rate, p50/p95 duration, tokens and cost, and a bar per run (height: duration; colour: phase). */
function statsView(s) {
  if (!s.runs) return [h('p', { className: 'muted' }, 'No runs yet.')];
  const percent = s.successRate == null ? '' : (100 * s.successRate).toFixed(s.successRate === 1 || s.successRate === 0 ? 0 : 1) + '%';
  const phases = Object.entries(s.phases).map(([phase, n]) => `${n} ${phase}`).join(', ');
  return [
    facts([
      ['Runs', h('span', { 'data-test': 'stats-runs' }, `${s.runs} (${phases})`)],
      ['Success rate', h('span', { 'data-test': 'stats-success' }, percent ? `${percent} of ${s.finished} finished` : 'none finished yet')],
      ['Duration p50', h('span', { 'data-test': 'stats-p50' }, formatDuration(s.p50Ms))],
      ['Duration p95', h('span', { 'data-test': 'stats-p95' }, formatDuration(s.p95Ms))],
      ['Tokens', h('span', { 'data-test': 'stats-tokens' }, `${formatNumber(s.inputTokens + s.outputTokens)} (in ${formatNumber(s.inputTokens)}, out ${formatNumber(s.outputTokens)})`)],
      ['Cost', h('span', { 'data-test': 'stats-cost' }, [s.costUsd != null ? formatUsd(s.costUsd) : '',
        s.unpriced && s.unpriced.length ? `${s.costUsd != null ? ' · ' : ''}no price for ${s.unpriced.join(', ')}` : ''].join('') || '—')],
    ]),
    chart(s.series, s.namespace),
  ];
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

function chart(series, namespace) {
  // Bars of at most 24 px, left-aligned: a few runs are a few bars, 500 runs fill 600 px.
  const height = 80;
  const gap = 2;
  const bar = Math.min(24, Math.max(1, Math.floor((600 - gap * series.length) / Math.max(1, series.length))));
  const width = Math.max(1, series.length * (bar + gap));
  const longest = Math.max(1, ...series.map(r => r.durationMs || 0));
  const bars = series.map((r, i) => {
    const tall = r.durationMs ? Math.max(2, Math.round((r.durationMs / longest) * (height - 4))) : 2;
    const title = `${r.name}: ${r.phase}${r.durationMs != null ? ', ' + formatDuration(r.durationMs) : ''}${r.tokens ? ', ' + formatNumber(r.tokens) + ' tokens' : ''}${r.costUsd != null ? ', ' + formatUsd(r.costUsd) : ''}`;
    const link = svg('a', { href: route(['plays', namespace, r.name]) },
      svg('rect', { x: i * (bar + gap), y: height - tall, width: bar, height: tall, class: 'bar bar-' + String(r.phase).toLowerCase(), 'data-phase': r.phase },
        svg('title', null, title)));
    return link;
  });
  return h('div', { className: 'stats-chart' }, svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, 'data-test': 'stats-chart',
    role: 'img', 'aria-label': 'duration of each run, oldest first, coloured by phase' }, ...bars));
}

export function versionPage(main, [namespace, name], query) {
  const wantedLine = Number(query && query.get('line')) || 0;
  const controller = new AbortController();
  const info = h('div');
  const code = h('div', { className: 'panel' }, h('h2', null, 'Source'));
  main.append(
    h('div', { className: 'page-head' },
      h('div', { className: 'crumbs' }, link(['workflows'], 'Workflows'), ' / ', namespace, ' /'), h('h1', null, name)),
    h('div', { className: 'version-layout' }, code, info));
  getJson(paths.version(namespace, name), { signal: controller.signal }).then(({ body: v }) => {
    info.append(section('Version', facts([
      ['Workflow', link(['workflows', namespace, v.workflow], v.workflow)],
      ['Ready', readyChip(v.ready)],
      ['Reason', [v.readyReason, v.readyMessage].filter(Boolean).join(': ')],
      ['Current', v.current ? 'yes: new Plays run this version' : 'no'],
      ['Flow', v.flowName],
      ['Digest', v.digest ? h('span', { className: 'mono wrap' }, v.digest) : ''],
      ['Size', v.sizeBytes != null ? formatNumber(v.sizeBytes) + ' bytes' : ''],
      ['Source', v.source === 'configMap' ? `ConfigMap ${v.sourceRef}` : 'inline'],
      ['Published as', v.sourceConfigMap ? h('span', { className: 'mono' }, v.sourceConfigMap) : ''],
      ['Description', v.description],
      ['Created', formatTime(v.created)],
      ['Plays', link(['plays'], 'Plays of this workflow', { namespace, workflow: v.workflow })],
    ])));
    if (v.inputs.length) {
      info.append(section('Inputs', h('table', { className: 'grid inputs', 'data-test': 'inputs' },
        // Four columns, "required" a tag beside the type: the table sits in the 380 px side column.
        h('thead', null, h('tr', null, ...['Name', 'Type', 'Default', 'Description'].map(t => h('th', null, t)))),
        h('tbody', null, ...v.inputs.map(i => h('tr', null,
          h('td', { className: 'mono' }, i.name),
          h('td', null, i.type || 'any', i.required ? h('span', { className: 'tag' }, 'required') : ''),
          h('td', { className: 'mono' }, i.defaultValue !== undefined ? JSON.stringify(i.defaultValue) : ''),
          h('td', { className: 'wrap' }, i.description || '')))))));
    }
    if (v.conditions.length) info.append(section('Conditions', conditionsTable(v.conditions)));
  }).catch(e => {
    if (e.name !== 'AbortError') info.append(message('error', 'Could not load the version: ' + e.message));
  });
  getText(paths.source(namespace, name), { signal: controller.signal }).then(({ text }) => {
    const pre = h('pre', { className: 'source', 'data-test': 'source' }, highlight(text));
    code.append(pre);
    // A traceback's frame links here with ?line=N: that line is marked and scrolled to.
    const line = wantedLine > 0 ? pre.querySelectorAll('.line')[wantedLine - 1] : null;
    if (line) {
      line.classList.add('hit');
      line.setAttribute('data-test', 'hit');
      line.scrollIntoView({ block: 'center' });
    }
  }).catch(e => {
    if (e.name !== 'AbortError') code.append(message('error', 'No source to show: ' + e.message));
  });
  return () => controller.abort();
}

function digest(value) {
  return value ? h('span', { className: 'mono', title: value }, value.replace(/^sha256:/, '').slice(0, 12)) : '';
}

function conditionText(conditions) {
  const ready = (conditions || []).find(c => c.type === 'Ready');
  return ready ? [ready.reason, ready.message].filter(Boolean).join(': ') : '';
}
