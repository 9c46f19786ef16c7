// One Play: input, the span tree, output, and a side panel. While the Play runs the page polls
// the API (a 304 when nothing changed) and updates the tree in place; it stops once the Play ended.
import { ApiError, getJson, installation, paths } from './api.js';
import { append, chip, conditionsTable, facts, formatDuration, formatNumber, formatTime, h, jsonBlock, link, message, section } from './dom.js';

const POLL_MS = 800;
const RETRY_MS = 2000;
const NOT_FOUND_RETRIES = 5; // a Play never seen is given up on after about 10 s of 404s

export function playPage(main, [namespace, name]) {
  const phaseSlot = h('span');
  const live = h('span', { className: 'live', 'data-test': 'live' });
  const banner = h('div');
  const input = h('div', { 'data-test': 'input' });
  const output = h('div', { 'data-test': 'output' });
  const spanCount = h('span', { className: 'muted', 'data-test': 'span-count' });
  const tree = new SpanTree();
  const side = h('aside', { className: 'side', 'data-test': 'side' });
  const page = h('div', { className: 'play-page', 'data-polling': 'true' },
    h('div', { className: 'page-head' },
      h('div', { className: 'crumbs' }, link(['plays'], 'Plays'), ' / ', link(['plays'], namespace, { namespace }), ' /'),
      h('h1', null, name), phaseSlot, live),
    banner,
    h('div', { className: 'play-layout' },
      h('div', { className: 'play-main' },
        section('Input', input),
        h('section', { className: 'panel' }, h('h2', null, 'Spans ', spanCount), tree.header, tree.root),
        section('Output', output)),
      side));
  main.append(page);

  let etag = null;
  let last = null;
  let stopped = false;
  let timer = null;
  let misses = 0;
  const controller = new AbortController();

  async function poll() {
    let delay = POLL_MS;
    try {
      const result = await getJson(paths.play(namespace, name), { etag, signal: controller.signal });
      if (!result.notModified) {
        etag = result.etag;
        render(result.body);
      } else if (last) {
        tree.tick(last); // running spans grow even when the status has not changed
      }
      banner.replaceChildren();
    } catch (e) {
      if (e.name === 'AbortError') return;
      delay = RETRY_MS;
      const notFound = e instanceof ApiError && e.status === 404;
      if (notFound && last) {
        // Seen before and now gone: it was deleted (by hand or its time to live). It will not come back,
        // so say so and stop; what was last shown stays on the page.
        banner.replaceChildren(message('error', `Play ${namespace}/${name} was deleted; showing it as last seen.`));
        page.setAttribute('data-deleted', 'true');
        setPolling(false);
        return;
      }
      if (notFound && ++misses > NOT_FOUND_RETRIES) {
        // Never seen: a Play just created may still be on its way, but not for this long.
        banner.replaceChildren(message('error', `Play ${namespace}/${name} not found: it does not exist or was deleted. Reload to look again.`));
        page.setAttribute('data-deleted', 'true');
        setPolling(false);
        return;
      }
      banner.replaceChildren(message('error', notFound
        ? `Play ${namespace}/${name} not found (yet); retrying.` : 'Could not load the Play: ' + e.message));
    }
    if (stopped) return;
    if (last && last.finished) {
      setPolling(false);
    } else {
      timer = setTimeout(poll, delay);
    }
  }

  function setPolling(on) {
    page.setAttribute('data-polling', String(on));
    live.textContent = on ? 'live' : '';
    live.classList.toggle('on', on);
  }

  function render(play) {
    const previous = last;
    last = play;
    phaseSlot.replaceChildren(chip(play.phase, play.message));
    if (!previous || JSON.stringify(previous.inputs) !== JSON.stringify(play.inputs)) {
      input.replaceChildren(play.inputs && Object.keys(play.inputs).length ? jsonBlock(play.inputs) : h('p', { className: 'muted' }, 'No inputs (the flow\'s defaults apply).'));
    }
    if (!previous || JSON.stringify(previous.output) !== JSON.stringify(play.output)) {
      output.replaceChildren(play.output !== undefined ? jsonBlock(play.output)
        : h('p', { className: 'muted' }, play.finished ? 'No output.' : 'Not yet.'));
    }
    performance.mark('span-tree-start');
    tree.update(play);
    performance.measure('span-tree-render', 'span-tree-start');
    if (!previous) {
      // The first tree on screen: DOM building plus style, layout and paint of that frame.
      requestAnimationFrame(() => setTimeout(() => performance.measure('span-tree-frame', 'span-tree-start')));
    }
    spanCount.textContent = play.spanCount && play.spanCount !== play.spans.length
      ? `${play.spans.length} of ${play.spanCount}` : String(play.spans.length);
    side.replaceChildren(...sidePanel(play));
  }

  setPolling(true);
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller.abort();
  };
}

function sidePanel(play) {
  const ns = play.namespace;
  const tokens = play.tokens;
  const parts = [
    h('h2', null, 'Play'),
    facts([
      ['Phase', chip(play.phase)],
      ['Message', play.message],
      ['Duration', play.duration || formatDuration(play.durationMs)],
      ['Tokens', tokens ? `${formatNumber(tokens.total)} (in ${formatNumber(tokens.input)}, out ${formatNumber(tokens.output)})` : ''],
      ['Workflow', play.workflow ? link(['workflows', ns, play.workflow], play.workflow) : ''],
      ['Version', play.version ? link(['versions', ns, play.version], play.version) : 'current (not resolved yet)'],
      ['Flow', play.flowName],
      ['Digest', play.digest ? h('span', { className: 'mono', title: play.digest }, shortDigest(play.digest)) : ''],
      ['Pod', play.podName ? h('span', { className: 'mono', 'data-test': 'pod' }, play.podName) : ''],
      ['Created', formatTime(play.created)],
      ['Started', formatTime(play.startTime)],
      ['Completed', formatTime(play.completionTime)],
      ['Trace id', play.traceId ? traceId(play.traceId) : ''],
      ['Cancel', play.cancelRequested ? 'requested' : ''],
    ]),
  ];
  if (play.dropped || play.traceTruncated) {
    const d = play.dropped || {};
    parts.push(h('div', { className: 'message message-warning', 'data-test': 'dropped' },
      h('strong', null, 'Trace truncated: '),
      `${formatNumber(d.spans || 0)} spans, ${formatNumber(d.logs || 0)} log lines and ${formatNumber(d.bytes || 0)} bytes were left out of the status.`,
      play.traceTruncated && play.traceTruncated.message ? h('div', { className: 'muted' }, play.traceTruncated.message) : ''));
  }
  if (play.error) {
    parts.push(h('h2', null, 'Error'), errorBox(play.error, 'play-error'));
  }
  if (play.conditions && play.conditions.length) {
    parts.push(h('h2', null, 'Conditions'), conditionsTable(play.conditions));
  }
  return parts;
}

function errorBox(error, test) {
  return h('div', { className: 'error-box', 'data-test': test },
    h('div', { className: 'error-title' }, [error.type, error.message].filter(Boolean).join(': ')),
    error.traceback ? h('pre', { className: 'traceback' }, error.traceback) : '');
}

/** The trace id, and "open in tracing" when the operator has a trace URL template (herologic.trace-url-template). */
function traceId(id) {
  const template = installation.traceUrlTemplate;
  const text = h('span', { className: 'mono' }, id);
  if (!template) return text;
  const url = template.split('{traceId}').join(encodeURIComponent(id));
  return h('span', null, text, ' ',
    h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', 'data-test': 'open-in-tracing' }, 'open in tracing'));
}

function shortDigest(digest) {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * The span tree as one element per span, in status order (parents before children), indented by
 * depth. Updates touch only the spans that changed; new spans are created in one fragment, and
 * nothing reads layout while writing, so a 1,000-span tree renders in one pass. A click (one
 * delegated listener) opens a span's details, built only then.
 */
class SpanTree {
  constructor() {
    this.rows = new Map(); // id -> {el, row, span, json, detail}
    this.order = [];
    this.header = h('div', { className: 'span-head', 'aria-hidden': 'true' },
      h('span', null, 'Name'), h('span', null, 'Kind'), h('span', null, 'Status'), h('span', { className: 'num' }, 'Duration'), h('span', null, 'Timeline'));
    this.root = h('div', { className: 'span-tree', role: 'tree', 'data-test': 'span-tree' });
    this.root.addEventListener('click', e => this.toggleFrom(e.target));
    this.root.addEventListener('keydown', e => {
      if ((e.key === 'Enter' || e.key === ' ') && e.target.classList.contains('span-row')) {
        e.preventDefault();
        this.toggleFrom(e.target);
      }
    });
  }

  update(play) {
    const spans = play.spans || [];
    const clock = timeline(play);
    this.root.style.setProperty('--t', String(clock.total));
    const seen = new Set();
    const created = [];
    for (const span of spans) {
      seen.add(span.id);
      const json = JSON.stringify(span);
      let entry = this.rows.get(span.id);
      if (!entry) {
        entry = this.create(span);
        this.rows.set(span.id, entry);
        created.push(entry);
      } else if (entry.json === json) {
        if (span.status === 'Running') this.place(entry, span, clock);
        continue;
      }
      entry.json = json;
      entry.span = span;
      this.fill(entry, span, clock);
    }
    for (const [id, entry] of this.rows) {
      if (!seen.has(id)) {
        entry.el.remove();
        this.rows.delete(id);
      }
    }
    const ids = spans.map(s => s.id);
    const appendedInOrder = created.length > 0 && sameOrder(this.order, ids.slice(0, this.order.length))
      && ids.length === this.order.length + created.length;
    if (appendedInOrder) {
      const fragment = document.createDocumentFragment();
      for (const entry of created) fragment.appendChild(entry.el);
      this.root.appendChild(fragment);
    } else if (!sameOrder(this.order, ids)) {
      const fragment = document.createDocumentFragment();
      for (const id of ids) fragment.appendChild(this.rows.get(id).el);
      this.root.appendChild(fragment);
    }
    this.order = ids;
  }

  /** Between status changes: only the bars of running spans move. */
  tick(play) {
    const clock = timeline(play);
    this.root.style.setProperty('--t', String(clock.total));
    for (const entry of this.rows.values()) {
      if (entry.span.status === 'Running') this.place(entry, entry.span, clock);
    }
  }

  create(span) {
    const caret = h('span', { className: 'caret', 'aria-hidden': 'true' });
    const name = h('span', { className: 'span-name' });
    const kind = h('span', { className: 'span-kind' });
    const status = h('span', { className: 'span-status' });
    const duration = h('span', { className: 'span-duration num' });
    const bar = h('span', { className: 'span-bar' }, h('i'));
    const row = h('div', { className: 'span-row', role: 'treeitem', tabIndex: 0, 'aria-expanded': 'false' }, caret, name, kind, status, duration, bar);
    const el = h('div', { className: 'span', 'data-span-id': span.id }, row);
    return { el, row, name, kind, status, duration, bar, span, json: null, detail: null };
  }

  fill(entry, span, clock) {
    const depth = Math.min(32, Math.max(0, span.depth || 0));
    entry.row.style.setProperty('--depth', String(depth));
    entry.el.setAttribute('data-status', span.status || '');
    entry.name.textContent = span.name || '(unnamed)';
    entry.name.title = span.name || '';
    entry.kind.textContent = span.kind || '';
    entry.status.replaceChildren(chip(span.status));
    if (span.logs && span.logs.length) entry.name.setAttribute('data-logs', String(span.logs.length));
    this.place(entry, span, clock);
    if (entry.detail) entry.detail.replaceChildren(...spanDetail(span));
  }

  place(entry, span, clock) {
    const start = Date.parse(span.startTime);
    const offset = isFinite(start) ? Math.max(0, start - clock.start) : 0;
    const running = span.status === 'Running';
    const length = span.durationMs != null ? span.durationMs : running && isFinite(start) ? Math.max(0, clock.end - start) : 0;
    entry.duration.textContent = span.durationMs != null ? formatDuration(span.durationMs) : running ? formatDuration(length) + '…' : '';
    entry.bar.style.setProperty('--s', String(offset));
    entry.bar.style.setProperty('--d', String(length));
  }

  toggleFrom(target) {
    if (target.closest('a, .span-detail')) return; // links and selectable text inside the details
    const row = target.closest('.span-row');
    if (!row) return;
    const entry = this.rows.get(row.parentElement.getAttribute('data-span-id'));
    if (!entry) return;
    const open = row.getAttribute('aria-expanded') !== 'true';
    row.setAttribute('aria-expanded', String(open));
    if (open) {
      entry.detail = h('div', { className: 'span-detail', 'data-test': 'span-detail' }, ...spanDetail(entry.span));
      entry.detail.style.setProperty('--depth', row.style.getPropertyValue('--depth'));
      entry.el.appendChild(entry.detail);
    } else if (entry.detail) {
      entry.detail.remove();
      entry.detail = null;
    }
  }
}

function spanDetail(span) {
  // Tags are a JSON object; anything else (a runner that cut them to a string) is shown as it is.
  const tags = span.tags && typeof span.tags === 'object' && !Array.isArray(span.tags) ? span.tags : {};
  const rpc = [tags['rpc.service'], tags['rpc.method']].filter(v => v !== undefined && v !== null).map(String).join('.');
  const parts = [facts([
    ['RPC', rpc ? h('span', { className: 'mono', 'data-test': 'rpc' }, rpc) : ''],
    ['Child play', childPlayLink(tags['herologic.child_play'])],
    ['Model', tags['gen_ai.response.model'] || tags['gen_ai.request.model']],
    ['Tokens', tags['gen_ai.usage.input_tokens'] != null || tags['gen_ai.usage.output_tokens'] != null
      ? `in ${formatNumber(tags['gen_ai.usage.input_tokens'] || 0)}, out ${formatNumber(tags['gen_ai.usage.output_tokens'] || 0)}` : ''],
    ['Kind', span.kind],
    ['Started', formatTime(span.startTime)],
    ['Duration', formatDuration(span.durationMs)],
    ['Span id', h('span', { className: 'mono' }, span.id)],
  ])];
  if (span.error) parts.push(h('h3', null, 'Error'), errorBox(span.error, 'span-error'));
  if (span.tags !== undefined && span.tags !== null && (tags !== span.tags || Object.keys(tags).length)) {
    parts.push(h('h3', null, 'Tags'), jsonBlock(span.tags, 'json tags'));
  }
  if (span.logs && span.logs.length) {
    parts.push(h('h3', null, `Logs (${span.logs.length})`), h('pre', { className: 'logs', 'data-test': 'logs' }, span.logs.join('\n')));
  } else {
    parts.push(h('p', { className: 'muted' }, 'No logs.'));
  }
  return parts;
}

/** The tag names a child Play as "namespace/name"; anything else is shown as plain text. */
function childPlayLink(value) {
  if (typeof value !== 'string' || value === '') return '';
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1 || value.indexOf('/', slash + 1) >= 0) return value;
  const ns = value.slice(0, slash);
  const child = value.slice(slash + 1);
  return append(h('span', { 'data-test': 'child-play' }), [link(['plays', ns, child], value)]);
}

/** Where the timeline starts and ends: the first span's start to the last end (or now, while running). */
function timeline(play) {
  let start = Infinity;
  let end = -Infinity;
  for (const s of play.spans || []) {
    const t = Date.parse(s.startTime);
    if (!isFinite(t)) continue;
    start = Math.min(start, t);
    end = Math.max(end, t + (s.durationMs || 0));
  }
  if (!isFinite(start)) {
    start = Date.parse(play.startTime) || Date.now();
    end = start;
  }
  if (!play.finished) end = Math.max(end, Date.now());
  return { start, end, total: Math.max(1, end - start) };
}

function sameOrder(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
