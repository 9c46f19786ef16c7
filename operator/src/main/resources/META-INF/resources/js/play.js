// One Play: input, the span tree, output, and a side panel. While the Play runs the page polls
// the API (a 304 when nothing changed) and updates the tree in place; it stops once the Play ended.
import { ApiError, getJson, getText, installation, paths, sendJson } from './api.js';
import { effectiveInputs } from './inputs.js';
import { formatUsd } from './llm.js';
import { errorBox } from './spandetail.js';
import { SpanTree } from './spantree.js';
import { append, chip, conditionsTable, facts, formatDuration, formatNumber, formatTime, h, jsonBlock, link, message, route, section } from './dom.js';

const POLL_MS = 800;
const RETRY_MS = 2000;
const FEED_MS = 2500; // Events and the Pod log, while the Play runs
const NOT_FOUND_RETRIES = 5; // a Play never seen is given up on after about 10 s of 404s

export function playPage(main, [namespace, name], query) {
  const wantedSpan = query ? query.get('span') : null;
  const phaseSlot = h('span');
  const live = h('span', { className: 'live', 'data-test': 'live' });
  const banner = h('div');
  const input = h('div', { 'data-test': 'input' });
  const output = h('div', { 'data-test': 'output' });
  const spanCount = h('span', { className: 'muted', 'data-test': 'span-count' });
  // The open span is kept in the address (#/plays/ns/name?span=<id>): a link to it opens it.
  const tree = new SpanTree({ onOpen: id => history.replaceState(null, '', route(['plays', namespace, name], { span: id })) });
  let pendingSpan = wantedSpan;
  const slash = e => {
    if (e.key === '/' && !e.target.closest('input, textarea, select, [contenteditable]')) {
      e.preventDefault();
      tree.search.focus();
    }
  };
  document.addEventListener('keydown', slash);
  const side = h('aside', { className: 'side', 'data-test': 'side' });
  const feeds = new PlayFeeds(namespace, name);
  const actions = new PlayActions(namespace, name, () => {
    // Deleted from this page: say so at once rather than wait for a poll (a finished Play is no longer polled).
    banner.replaceChildren(message('error', `Play ${namespace}/${name} was deleted; showing it as last seen.`));
    page.setAttribute('data-deleted', 'true');
    stopped = true;
    clearTimeout(timer);
    setPolling(false);
  });
  const page = h('div', { className: 'play-page', 'data-polling': 'true' },
    h('div', { className: 'page-head' },
      h('div', { className: 'crumbs' }, link(['plays'], 'Plays'), ' / ', link(['plays'], namespace, { namespace }), ' /'),
      h('h1', null, name), phaseSlot, live, actions.bar),
    actions.status,
    banner,
    h('div', { className: 'play-layout' },
      h('div', { className: 'play-main' },
        section('Input', input),
        h('section', { className: 'panel' }, h('h2', null, 'Spans ', spanCount), tree.toolbar, tree.header, tree.root),
        section('Output', output),
        feeds.eventsPanel,
        feeds.logPanel),
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
      banner.replaceChildren();
      if (!result.notModified) {
        etag = result.etag;
        render(result.body);
      } else if (last) {
        tree.tick(last); // running spans grow even when the status has not changed
      }
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
    actions.update(play);
    if (!previous || JSON.stringify([previous.inputs, previous.declaredInputs]) !== JSON.stringify([play.inputs, play.declaredInputs])) {
      input.replaceChildren(inputPanel(play));
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
    if (pendingSpan && tree.open(pendingSpan)) {
      pendingSpan = null;
    } else if (pendingSpan && play.finished) {
      banner.replaceChildren(message('error', `No span ${pendingSpan} in this Play (the link may be to a span the status left out).`));
      pendingSpan = null;
    }
    spanCount.textContent = play.spanCount && play.spanCount !== play.spans.length
      ? `${play.spans.length} of ${play.spanCount}` : String(play.spans.length);
    side.replaceChildren(...sidePanel(play));
    feeds.update(play);
  }

  setPolling(true);
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller.abort();
    feeds.stop();
    document.removeEventListener('keydown', slash);
  };
}

/** The inputs as given, beside the inputs the flow runs with (each declared default applied, marked). */
function inputPanel(play) {
  const given = play.inputs || {};
  const givenBlock = Object.keys(given).length ? jsonBlock(given) : h('p', { className: 'muted' }, 'No inputs (the flow\'s defaults apply).');
  if (!play.declaredInputs) return givenBlock;
  const effective = effectiveInputs(play.declaredInputs, given);
  const rows = Object.entries(effective).map(([key, value]) => h('tr', { 'data-input': key, 'data-source': key in given ? 'given' : 'default' },
    h('td', { className: 'mono' }, key), h('td', { className: 'mono wrap' }, JSON.stringify(value)),
    h('td', null, key in given ? '' : h('span', { className: 'tag' }, 'default'))));
  return h('div', { className: 'two-col' },
    h('div', null, h('h3', null, 'Given'), givenBlock),
    h('div', null, h('h3', null, 'Effective (defaults applied)'), rows.length
      ? h('table', { className: 'grid inputs', 'data-test': 'effective-input' }, h('tbody', null, ...rows))
      : h('p', { className: 'muted' }, 'The flow declares no inputs.')));
}

/**
 * The Play's Kubernetes Events and its Pod's raw log, both read with the viewer's own token (so
 * RBAC decides who sees them). While the Play runs they are fetched again every few seconds; the
 * log stays scrolled to its end unless the reader scrolled up.
 */
class PlayFeeds {
  constructor(namespace, name) {
    this.namespace = namespace;
    this.name = name;
    this.events = h('div', { 'data-test': 'events' }, h('p', { className: 'muted' }, 'Loading…'));
    this.log = h('pre', { className: 'pod-log', 'data-test': 'pod-log' });
    this.logStatus = h('div', { className: 'muted', 'data-test': 'pod-log-status' });
    this.eventsPanel = section('Events', this.events);
    this.logPanel = section('Pod log', this.logStatus, this.log);
    this.timer = null;
    this.stopped = false;
    this.finishedFetched = false;
    this.play = null;
    // A feed the API server refused (403: RBAC) is not asked again on this page: the answer would not change.
    this.eventsRefused = false;
    this.logRefused = false;
  }

  update(play) {
    const first = this.play === null;
    this.play = play;
    if (first) this.fetch();
  }

  async fetch() {
    clearTimeout(this.timer);
    if (this.stopped || !this.play) return;
    const finished = this.play.finished;
    await Promise.all([this.fetchEvents(), this.fetchLog()]);
    if (this.stopped) return;
    if (!finished) {
      this.timer = setTimeout(() => this.fetch(), FEED_MS);
    } else if (!this.finishedFetched) {
      // Once more after the end: the last lines and the final Events.
      this.finishedFetched = true;
      this.timer = setTimeout(() => this.fetch(), FEED_MS);
    }
  }

  async fetchEvents() {
    if (this.eventsRefused) return;
    try {
      const { body } = await getJson(paths.playEvents(this.namespace, this.name));
      this.events.replaceChildren(body.length ? h('table', { className: 'grid events' },
        h('thead', null, h('tr', null, ...['Last seen', 'Type', 'Reason', 'Object', 'Message'].map(t => h('th', null, t)))),
        h('tbody', null, ...body.map(e => h('tr', { 'data-reason': e.reason || '' },
          h('td', { title: e.lastTime || '' }, formatTime(e.lastTime)),
          h('td', null, e.type || ''),
          h('td', null, e.reason || '', e.count > 1 ? h('span', { className: 'muted' }, ` ×${e.count}`) : ''),
          h('td', { className: 'mono' }, `${e.kind}/${e.object}`),
          h('td', { className: 'wrap' }, e.message || '')))))
        : h('p', { className: 'muted' }, 'No Events (Kubernetes keeps them for an hour by default).'));
    } catch (e) {
      this.eventsRefused = e.status === 403;
      this.events.replaceChildren(message('error', 'Events not shown: ' + e.message));
    }
  }

  async fetchLog() {
    if (this.logRefused) return;
    if (!this.play.podName) {
      this.logStatus.textContent = 'No Pod yet.';
      return;
    }
    try {
      const { text } = await getText(paths.playLog(this.namespace, this.name));
      const atEnd = this.log.scrollTop + this.log.clientHeight >= this.log.scrollHeight - 4;
      if (this.log.textContent !== text) this.log.textContent = text;
      if (atEnd) this.log.scrollTop = this.log.scrollHeight;
      this.logStatus.textContent = `Pod ${this.play.podName}` + (this.play.finished ? '' : ' — following');
    } catch (e) {
      this.logRefused = e.status === 403;
      this.logStatus.replaceChildren(message('error', 'Log not shown: ' + e.message));
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

/**
 * Re-run, Cancel and Delete. The operator makes each with the viewer's own token, so what the
 * API server refuses (RBAC, an admission policy) comes back with its message, shown here.
 */
class PlayActions {
  constructor(namespace, name, onDeleted) {
    this.namespace = namespace;
    this.name = name;
    this.onDeleted = onDeleted;
    this.status = h('div', { 'data-test': 'action-status' });
    this.rerun = h('a', { className: 'button', 'data-test': 'rerun', href: '#' }, 'Re-run…');
    this.cancel = h('button', { type: 'button', 'data-test': 'cancel', onclick: () => this.requestCancel() }, 'Cancel');
    this.remove = h('button', { type: 'button', className: 'danger', 'data-test': 'delete', onclick: () => this.confirmDelete() }, 'Delete');
    this.bar = h('div', { className: 'actions' }, this.rerun, this.cancel, this.remove);
  }

  update(play) {
    this.rerun.href = route(['run', play.namespace, play.workflow], { rerun: play.name });
    this.cancel.disabled = play.finished || play.cancelRequested;
    this.cancel.title = play.finished ? 'The Play has ended' : play.cancelRequested ? 'Cancel already requested' : 'Stop this Play';
  }

  async requestCancel() {
    this.cancel.disabled = true;
    try {
      await sendJson('POST', paths.cancelPlay(this.namespace, this.name));
      this.say('info', 'Cancel requested: the operator stops the Pod and the Play ends as Cancelled.');
    } catch (e) {
      this.cancel.disabled = false;
      this.say('error', 'Not cancelled: ' + e.message);
    }
  }

  /** An inline confirmation, not window.confirm: it can be read, styled and driven like the rest of the page. */
  confirmDelete() {
    const yes = h('button', { type: 'button', className: 'danger', 'data-test': 'delete-confirm', onclick: () => this.delete() }, 'Delete');
    const no = h('button', { type: 'button', 'data-test': 'delete-keep', onclick: () => this.status.replaceChildren() }, 'Keep');
    this.status.replaceChildren(h('div', { className: 'message message-warning confirm' },
      `Delete Play ${this.namespace}/${this.name} and its Pod? Its trace goes with it. `, yes, ' ', no));
    no.focus();
  }

  async delete() {
    try {
      await sendJson('DELETE', paths.play(this.namespace, this.name));
      this.say('info', `Play ${this.namespace}/${this.name} deleted.`);
      for (const button of [this.cancel, this.remove]) button.disabled = true;
      this.onDeleted();
    } catch (e) {
      this.say('error', 'Not deleted: ' + e.message);
    }
  }

  say(kind, text) {
    this.status.replaceChildren(message(kind, text));
  }
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
      ['Cost', costText(play.cost)],
      ['Parent', play.parent ? h('span', { 'data-test': 'parent' }, link(['plays', play.parent.namespace, play.parent.name], play.parent.name),
        play.parent.phase ? ' ' : '', play.parent.phase ? chip(play.parent.phase) : '') : ''],
      ['Children', play.children && play.children.length ? h('ul', { className: 'children', 'data-test': 'children' },
        ...play.children.map(c => h('li', { 'data-child': c.name }, link(['plays', c.namespace, c.name], c.name), ' ', chip(c.phase)))) : ''],
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
    parts.push(h('h2', null, 'Error'), errorBox(play.error, 'play-error', { namespace: ns, version: play.version }));
  }
  if (play.conditions && play.conditions.length) {
    parts.push(h('h2', null, 'Conditions'), conditionsTable(play.conditions));
  }
  return parts;
}

/** The Play's cost: its priced LLM calls summed; models without a price are named (their tokens are not counted). */
function costText(cost) {
  if (!cost || (cost.usd == null && !(cost.unpriced || []).length)) return '';
  const unpriced = (cost.unpriced || []).length ? `no price for ${cost.unpriced.join(', ')}` : '';
  return h('span', { 'data-test': 'play-cost' }, cost.usd != null ? formatUsd(cost.usd) : '',
    cost.usd != null && unpriced ? ' · ' : '', unpriced ? h('span', { className: 'muted' }, unpriced) : '');
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

