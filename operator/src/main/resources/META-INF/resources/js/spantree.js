// The span tree of a Play page: one element per span, in status order (parents before children),
// indented by depth; collapsible subtrees; search and filters with jumps between matches and errors;
// a waterfall with a time axis and zoom; keyboard navigation. Updates touch only the spans that
// changed and nothing reads layout while writing, so a 2,000-span tree stays interactive.
import { ancestorsOf, axisTicks, childrenOf, depthsOf, hiddenIds, isFilterEmpty, matches, nextIndex, startOf } from './trace.js';
import { formatTokens, formatUsd, tokensOf } from './llm.js';
import { spanDetail } from './spandetail.js';
import { chip, formatDuration, h } from './dom.js';

const KINDS_HINT = ['flow', 'step', 'rpc', 'llm', 'subprocess', 'child-play'];
const STATES = ['Running', 'Ok', 'Error'];

export class SpanTree {
  /** onOpen(spanId or null) is told which span's details are open (the page keeps it in the address). */
  constructor({ onOpen } = {}) {
    this.onOpen = onOpen || (() => {});
    this.rows = new Map(); // id -> {el, row, span, json, detail, hidden}
    this.order = [];
    this.spans = [];
    this.costs = {};
    this.children = new Map();
    this.collapsed = new Set();
    this.filter = { text: '', kind: '', status: '' };
    this.onlyMatches = false;
    this.texts = new Map(); // id -> lower-cased search text, dropped when the span changes
    this.matchIds = [];
    this.matchIndex = -1;
    this.errorIndex = -1;
    this.zoom = null; // {from, to} in ms since the trace started; null: the whole trace
    this.clock = { start: 0, end: 1, total: 1 };
    this.traceStart = NaN; // ms since the epoch; span starts are offsets from it
    this.openId = null;
    this.toolbar = this.buildToolbar();
    this.axis = h('span', { className: 'span-axis', 'data-test': 'span-axis' });
    this.header = h('div', { className: 'span-head', 'aria-hidden': 'true' },
      h('span', null, 'Name'), h('span', { className: 'num' }, 'Tokens · cost'), h('span', null, 'Kind'), h('span', null, 'Status'),
      h('span', { className: 'num' }, 'Duration'), this.axis);
    this.root = h('div', { className: 'span-tree', role: 'tree', 'data-test': 'span-tree' });
    this.root.addEventListener('click', e => this.clicked(e));
    this.root.addEventListener('keydown', e => this.key(e));
  }

  buildToolbar() {
    this.search = h('input', { type: 'search', className: 'span-search', 'data-test': 'span-search', placeholder: 'Search spans: name, tags, logs  ( / )',
      'aria-label': 'Search spans', autocomplete: 'off', spellcheck: false });
    this.kindSelect = h('select', { 'aria-label': 'kind', 'data-test': 'span-kind-filter' }, h('option', { value: '' }, 'Any kind'));
    this.statusSelect = h('select', { 'aria-label': 'status', 'data-test': 'span-status-filter' }, h('option', { value: '' }, 'Any status'),
      ...STATES.map(s => h('option', { value: s }, s)));
    this.only = h('input', { type: 'checkbox', 'data-test': 'span-only' });
    this.matchCount = h('span', { className: 'muted', 'data-test': 'match-count' });
    const button = (label, title, test, fn) => h('button', { type: 'button', title, 'data-test': test, onclick: fn }, label);
    this.search.addEventListener('input', () => this.setFilter({ text: this.search.value }));
    this.search.addEventListener('keydown', e => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.jumpToMatch(e.shiftKey ? -1 : 1);
      } else if (e.key === 'Escape') {
        this.search.value = '';
        this.setFilter({ text: '' });
      }
    });
    this.kindSelect.addEventListener('change', () => this.setFilter({ kind: this.kindSelect.value }));
    this.statusSelect.addEventListener('change', () => this.setFilter({ status: this.statusSelect.value }));
    this.only.addEventListener('change', () => {
      this.onlyMatches = this.only.checked;
      this.applyVisibility();
    });
    return h('div', { className: 'span-toolbar' },
      this.search, this.kindSelect, this.statusSelect,
      h('label', { className: 'only' }, this.only, ' only matches'),
      button('↑', 'Previous match (Shift+Enter)', 'match-prev', () => this.jumpToMatch(-1)),
      button('↓', 'Next match (Enter)', 'match-next', () => this.jumpToMatch(1)),
      this.matchCount,
      h('span', { className: 'spacer' }),
      button('Next error', 'Jump to the next span that failed', 'next-error', () => this.jumpToError()),
      button('Expand all', 'Expand every subtree', 'expand-all', () => this.setCollapsed(new Set())),
      button('Collapse all', 'Collapse every subtree', 'collapse-all', () => this.setCollapsed(new Set(this.children.keys()))),
      h('span', { className: 'zoom' },
        button('−', 'Zoom out', 'zoom-out', () => this.zoomBy(2)),
        button('+', 'Zoom in', 'zoom-in', () => this.zoomBy(0.5)),
        button('Zoom to span', 'Fit the time axis to the open span', 'zoom-span', () => this.zoomToOpen()),
        button('Whole trace', 'Show the whole trace', 'zoom-reset', () => this.setZoom(null))));
  }

  update(play) {
    const spans = play.spans || [];
    const costs = (play.cost && play.cost.spans) || {};
    const costsChanged = JSON.stringify(costs) !== JSON.stringify(this.costs);
    this.costs = costs;
    this.traceStart = Date.parse(play.traceStartTime);
    this.clock = timeline(play);
    this.setScale();
    const depths = depthsOf(spans);
    const seen = new Set();
    const created = [];
    let changed = false;
    for (const span of spans) {
      seen.add(span.id);
      const json = JSON.stringify(span);
      const depth = depths.get(span.id);
      let entry = this.rows.get(span.id);
      if (!entry) {
        entry = this.create(span);
        this.rows.set(span.id, entry);
        created.push(entry);
      } else if (entry.json === json && entry.depth === depth && !costsChanged) {
        if (span.status === 'Running') this.place(entry, span);
        continue;
      }
      changed = true;
      this.texts.delete(span.id);
      entry.json = json;
      entry.span = span;
      this.fill(entry, span, depth);
    }
    for (const [id, entry] of this.rows) {
      if (!seen.has(id)) {
        entry.el.remove();
        this.rows.delete(id);
        changed = true;
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
    this.spans = spans;
    if (changed || created.length) {
      this.children = childrenOf(spans);
      for (const [id, entry] of this.rows) entry.row.classList.toggle('has-children', this.children.has(id));
      this.fillKinds(spans);
      this.refreshMatches();
      this.applyVisibility();
    }
    this.renderAxis();
    this.ensureTabStop();
  }

  /** Between status changes: only the bars of running spans move. */
  tick(play) {
    this.clock = timeline(play);
    this.setScale();
    for (const entry of this.rows.values()) {
      if (entry.span.status === 'Running') this.place(entry, entry.span);
    }
    this.renderAxis();
  }

  create(span) {
    const caret = h('span', { className: 'caret', 'data-test': 'caret', title: 'Collapse or expand (← →)' });
    const name = h('span', { className: 'span-name' });
    const meta = h('span', { className: 'span-meta', 'data-test': 'span-meta' });
    const kind = h('span', { className: 'span-kind' });
    const status = h('span', { className: 'span-status' });
    const duration = h('span', { className: 'span-duration num' });
    const bar = h('span', { className: 'span-bar' }, h('i'));
    const row = h('div', { className: 'span-row', role: 'treeitem', tabIndex: -1 }, caret, name, meta, kind, status, duration, bar);
    const el = h('div', { className: 'span', 'data-span-id': span.id }, row);
    return { el, row, name, meta, kind, status, duration, bar, span, json: null, detail: null, hidden: false };
  }

  fill(entry, span, depth) {
    entry.depth = depth;
    entry.row.style.setProperty('--depth', String(depth));
    entry.el.setAttribute('data-status', span.status || '');
    entry.name.textContent = span.name || '(unnamed)';
    entry.name.title = span.name || '';
    entry.kind.textContent = span.kind || '';
    entry.status.replaceChildren(chip(span.status));
    if (span.logs && span.logs.length) entry.name.setAttribute('data-logs', String(span.logs.length));
    const tokens = tokensOf(span);
    const cost = this.costs[span.id];
    entry.meta.textContent = tokens ? `${formatTokens(tokens.input + tokens.output)} tok` + (cost != null ? ' · ' + formatUsd(cost) : '') : '';
    entry.meta.title = tokens ? `in ${tokens.input}, out ${tokens.output}` + (cost != null ? `, ${formatUsd(cost)}` : '') : '';
    this.place(entry, span);
    if (entry.detail) entry.detail.replaceChildren(...spanDetail(span, cost, startOf(span, this.traceStart)));
  }

  /** The bar of a span on the time axis: offsets are relative to the zoom window's start. */
  place(entry, span) {
    const start = startOf(span, this.traceStart);
    const offset = isFinite(start) ? Math.max(0, start - this.clock.start) : 0;
    const running = span.status === 'Running';
    const length = span.durationMs != null ? span.durationMs : running && isFinite(start) ? Math.max(0, this.clock.end - start) : 0;
    entry.offset = offset;
    entry.length = length;
    entry.duration.textContent = span.durationMs != null ? formatDuration(span.durationMs) : running ? formatDuration(length) + '…' : '';
    entry.bar.style.setProperty('--s', String(offset));
    entry.bar.style.setProperty('--d', String(length));
  }

  /** The time window the bars are drawn in: one pair of CSS variables on the tree, so zooming restyles nothing else. */
  setScale() {
    const window = this.window();
    this.root.style.setProperty('--t', String(Math.max(1, window.to - window.from)));
    this.root.style.setProperty('--from', String(window.from));
  }

  window() {
    return this.zoom || { from: 0, to: this.clock.total };
  }

  setZoom(zoom) {
    this.zoom = zoom && zoom.to - zoom.from >= 1 ? zoom : zoom ? { from: zoom.from, to: zoom.from + 1 } : null;
    this.root.setAttribute('data-zoomed', String(this.zoom !== null));
    this.setScale();
    this.renderAxis();
  }

  zoomBy(factor) {
    const { from, to } = this.window();
    const middle = (from + to) / 2;
    const half = Math.min(this.clock.total, (to - from) * factor) / 2;
    const next = { from: Math.max(0, middle - half), to: Math.min(this.clock.total, Math.max(0, middle - half) + 2 * half) };
    this.setZoom(next.from <= 0 && next.to >= this.clock.total ? null : next);
  }

  zoomToOpen() {
    const entry = this.rows.get(this.openId || this.focusedId());
    if (!entry) return;
    this.setZoom({ from: entry.offset, to: entry.offset + Math.max(1, entry.length) });
  }

  renderAxis() {
    const { from, to } = this.window();
    const ticks = axisTicks(from, to, 5);
    this.axis.replaceChildren(...ticks.map(t => h('span', { className: 'tick', style: `left: ${(100 * (t.at - from)) / Math.max(1, to - from)}%` }, t.label)));
  }

  fillKinds(spans) {
    const kinds = [...new Set([...KINDS_HINT.filter(k => spans.some(s => s.kind === k)), ...spans.map(s => s.kind).filter(Boolean)])];
    const current = [...this.kindSelect.options].slice(1).map(o => o.value);
    if (current.join('\n') !== kinds.join('\n')) {
      this.kindSelect.replaceChildren(h('option', { value: '' }, 'Any kind'), ...kinds.map(k => h('option', { value: k }, k)));
      this.kindSelect.value = this.filter.kind;
    }
  }

  setFilter(change) {
    Object.assign(this.filter, change);
    this.matchIndex = -1;
    this.refreshMatches();
    this.applyVisibility();
  }

  refreshMatches() {
    const active = !isFilterEmpty(this.filter);
    this.matchIds = active ? this.spans.filter(s => matches(s, this.filter, this.texts)).map(s => s.id) : [];
    const set = new Set(this.matchIds);
    for (const [id, entry] of this.rows) {
      const match = active && set.has(id);
      if (entry.match !== match) {
        entry.match = match;
        entry.el.classList.toggle('match', match);
      }
    }
    this.root.classList.toggle('filtering', active);
    this.matchCount.textContent = active ? `${this.matchIndex >= 0 ? this.matchIndex + 1 + ' of ' : ''}${this.matchIds.length} match${this.matchIds.length === 1 ? '' : 'es'}` : '';
  }

  /** Hides what collapsed parents and the "only matches" filter hide; touches only the rows that change. */
  applyVisibility() {
    const only = this.onlyMatches && !isFilterEmpty(this.filter) ? new Set(this.matchIds) : null;
    const hidden = hiddenIds(this.spans, this.collapsed, only);
    for (const [id, entry] of this.rows) {
      const hide = hidden.has(id);
      if (entry.hidden !== hide) {
        entry.hidden = hide;
        entry.el.hidden = hide;
      }
      if (this.children.has(id)) entry.row.setAttribute('aria-expanded', String(!this.collapsed.has(id)));
      else entry.row.removeAttribute('aria-expanded');
    }
  }

  setCollapsed(collapsed) {
    this.collapsed = collapsed;
    this.applyVisibility();
  }

  toggleCollapsed(id, collapse = !this.collapsed.has(id)) {
    if (!this.children.has(id)) return;
    if (collapse) this.collapsed.add(id);
    else this.collapsed.delete(id);
    this.applyVisibility();
  }

  /** Makes a span visible: its ancestors expanded (and the "only matches" filter off if it hides it). */
  reveal(id) {
    let changed = false;
    for (const ancestor of ancestorsOf(this.spans, id)) changed = this.collapsed.delete(ancestor) || changed;
    if (changed) this.applyVisibility();
    const entry = this.rows.get(id);
    if (entry && entry.hidden && this.onlyMatches) {
      this.onlyMatches = false;
      this.only.checked = false;
      this.applyVisibility();
    }
    return entry;
  }

  /** Makes a span the current row and scrolls to it; `takeFocus` false leaves the keyboard where it is (the search box). */
  focus(id, takeFocus = true) {
    const entry = this.reveal(id);
    if (!entry) return null;
    for (const e of this.root.querySelectorAll('.span-row.current')) {
      e.classList.remove('current');
      e.tabIndex = -1;
    }
    entry.row.classList.add('current');
    entry.row.tabIndex = 0;
    if (takeFocus) entry.row.focus({ preventScroll: true });
    entry.row.scrollIntoView({ block: 'nearest' });
    return entry;
  }

  focusedId() {
    const row = this.root.querySelector('.span-row.current');
    return row ? row.parentElement.getAttribute('data-span-id') : null;
  }

  jumpToMatch(step) {
    this.matchIndex = nextIndex(this.matchIds, this.matchIndex, step);
    if (this.matchIndex >= 0) this.focus(this.matchIds[this.matchIndex], false);
    this.refreshMatches();
  }

  jumpToError() {
    const errors = this.spans.filter(s => s.status === 'Error').map(s => s.id);
    this.errorIndex = nextIndex(errors, this.errorIndex, 1);
    if (this.errorIndex >= 0) this.focus(errors[this.errorIndex]);
  }

  /** Opens a span's details (from a deep link): expanded ancestors, scrolled to, focused. False if there is no such span. */
  open(id) {
    const entry = this.focus(id);
    if (!entry) return false;
    if (!entry.detail) this.toggleDetail(entry);
    return true;
  }

  clicked(e) {
    if (e.target.closest('a, .span-detail')) return; // links and selectable text inside the details
    const row = e.target.closest('.span-row');
    if (!row) return;
    const entry = this.rows.get(row.parentElement.getAttribute('data-span-id'));
    if (!entry) return;
    if (e.target.classList.contains('caret')) {
      this.toggleCollapsed(entry.span.id);
    } else {
      this.toggleDetail(entry);
    }
    this.focus(entry.span.id);
  }

  toggleDetail(entry) {
    if (!entry.detail) {
      entry.detail = h('div', { className: 'span-detail', 'data-test': 'span-detail' }, ...spanDetail(entry.span, this.costs[entry.span.id], startOf(entry.span, this.traceStart)));
      entry.detail.style.setProperty('--depth', entry.row.style.getPropertyValue('--depth'));
      entry.el.appendChild(entry.detail);
      entry.row.setAttribute('data-open', 'true');
      this.openId = entry.span.id;
    } else {
      entry.detail.remove();
      entry.detail = null;
      entry.row.removeAttribute('data-open');
      if (this.openId === entry.span.id) this.openId = null;
    }
    this.onOpen(this.openId);
  }

  /** The tree's keys: ↑ ↓ move, → expands (then goes to the first child), ← collapses (then goes to the parent), Enter opens. */
  key(e) {
    const row = e.target.closest('.span-row');
    if (!row || e.target.closest('.span-detail')) return;
    const id = row.parentElement.getAttribute('data-span-id');
    const entry = this.rows.get(id);
    if (!entry) return;
    const visible = () => this.order.filter(x => !this.rows.get(x).hidden);
    let handled = true;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const list = visible();
      const at = list.indexOf(id);
      const next = list[Math.min(list.length - 1, Math.max(0, at + (e.key === 'ArrowDown' ? 1 : -1)))];
      if (next) this.focus(next);
    } else if (e.key === 'ArrowRight') {
      if (this.collapsed.has(id)) this.toggleCollapsed(id, false);
      else if (this.children.has(id)) this.focus(this.children.get(id)[0]);
    } else if (e.key === 'ArrowLeft') {
      if (this.children.has(id) && !this.collapsed.has(id)) this.toggleCollapsed(id, true);
      else if (entry.span.parentId && this.rows.has(entry.span.parentId)) this.focus(entry.span.parentId);
    } else if (e.key === 'Enter' || e.key === ' ') {
      this.toggleDetail(entry);
    } else if (e.key === 'Home' || e.key === 'End') {
      const list = visible();
      this.focus(e.key === 'Home' ? list[0] : list[list.length - 1]);
    } else {
      handled = false;
    }
    if (handled) e.preventDefault();
  }

  /** The first row takes the focus when the tree is tabbed into. */
  ensureTabStop() {
    if (!this.root.querySelector('.span-row[tabindex="0"]') && this.order.length) this.rows.get(this.order[0]).row.tabIndex = 0;
  }
}

/** Where the timeline starts and ends: the first span's start to the last end (or now, while running). */
function timeline(play) {
  let start = Infinity;
  let end = -Infinity;
  const traceStart = Date.parse(play.traceStartTime);
  for (const s of play.spans || []) {
    const t = startOf(s, traceStart);
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
