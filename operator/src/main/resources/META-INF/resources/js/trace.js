// Navigating a big trace, without the DOM (unit-tested by trace.test.mjs): which spans are hidden
// under collapsed parents or by a filter, which match a search, and the ticks of the time axis.
// Spans come in status order: parents before children.

/** Nesting deeper than this is shown at this depth. */
export const MAX_DEPTH = 32;

/**
 * span id -> depth, derived in one pass: status lists parents before children, so a span's depth is
 * its parent's depth + 1, and a span whose parent does not come before it (missing, or in a cycle)
 * is a root. Status does not repeat the depth on every span: it is derivable.
 */
export function depthsOf(spans) {
  const depths = new Map();
  for (const s of spans) {
    const parent = s.parentId != null ? depths.get(s.parentId) : undefined;
    if (!depths.has(s.id)) depths.set(s.id, parent === undefined ? 0 : Math.min(MAX_DEPTH, parent + 1));
  }
  return depths;
}

/**
 * When a span started, in ms since the epoch: the Play's traceStartTime (pass it parsed, Date.parse)
 * plus the span's startOffsetMs. NaN when either is missing.
 */
export function startOf(span, traceStart) {
  return span.startOffsetMs != null && isFinite(traceStart) ? traceStart + Number(span.startOffsetMs) : NaN;
}

/** parent id -> child ids, for the spans present (a parent missing from the status has no entry). */
export function childrenOf(spans) {
  const ids = new Set(spans.map(s => s.id));
  const children = new Map();
  for (const s of spans) {
    if (s.parentId && ids.has(s.parentId)) {
      if (!children.has(s.parentId)) children.set(s.parentId, []);
      children.get(s.parentId).push(s.id);
    }
  }
  return children;
}

/**
 * The ids to hide: those under a collapsed span, and, when `only` is a Set, those neither in it
 * nor an ancestor of one in it (filtering keeps the path to each match visible). One pass.
 */
export function hiddenIds(spans, collapsed, only) {
  const byId = new Map(spans.map(s => [s.id, s]));
  let keep = null;
  if (only) {
    keep = new Set();
    for (const id of only) {
      for (let cur = id, guard = 0; cur && !keep.has(cur) && guard < 64; cur = byId.get(cur)?.parentId, guard++) keep.add(cur);
    }
  }
  const hidden = new Set();
  const underCollapsed = new Set();
  for (const s of spans) {
    const parent = s.parentId && byId.has(s.parentId) ? s.parentId : null;
    const folded = parent !== null && (collapsed.has(parent) || underCollapsed.has(parent));
    if (folded) underCollapsed.add(s.id);
    if (folded || (keep && !keep.has(s.id))) hidden.add(s.id);
  }
  return hidden;
}

/** The ids of `id`'s ancestors, nearest first. */
export function ancestorsOf(spans, id) {
  const byId = new Map(spans.map(s => [s.id, s]));
  const out = [];
  for (let cur = byId.get(id)?.parentId, guard = 0; cur && byId.has(cur) && guard < 64; cur = byId.get(cur).parentId, guard++) out.push(cur);
  return out;
}

/** What a search looks in: name, kind, status, tags (keys and values), logs and the error, lower-cased. */
export function searchText(span) {
  const parts = [span.name, span.kind, span.status];
  if (span.tags !== undefined && span.tags !== null) parts.push(typeof span.tags === 'string' ? span.tags : JSON.stringify(span.tags));
  if (span.logs) parts.push(span.logs.join('\n'));
  if (span.error) parts.push(span.error.type, span.error.message, span.error.traceback);
  return parts.filter(Boolean).join('\n').toLowerCase();
}

/**
 * Whether a span passes the filter {text, kind, status}; empty fields pass everything. `text` is
 * matched case-insensitively against searchText (pass `texts`, a cache id -> text, to reuse it).
 */
export function matches(span, filter, texts) {
  if (filter.kind && span.kind !== filter.kind) return false;
  if (filter.status && span.status !== filter.status) return false;
  const q = (filter.text || '').trim().toLowerCase();
  if (!q) return true;
  let text = texts ? texts.get(span.id) : undefined;
  if (text === undefined) {
    text = searchText(span);
    if (texts) texts.set(span.id, text);
  }
  return text.includes(q);
}

export function isFilterEmpty(filter) {
  return !(filter.text || '').trim() && !filter.kind && !filter.status;
}

/**
 * About `count` round ticks across [from, to] (ms since the trace started): {at, label}, at in ms.
 * The step is 1, 2 or 5 times a power of ten, so labels read 0, 200ms, 400ms… or 0, 1s, 2s…
 */
export function axisTicks(from, to, count = 6) {
  const span = Math.max(1, to - from);
  const raw = span / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= raw) || 10 * power;
  const ticks = [];
  for (let at = Math.ceil(from / step) * step; at <= to + 1e-9; at += step) ticks.push({ at, label: tickLabel(at, step) });
  return ticks;
}

function tickLabel(ms, step) {
  if (ms === 0) return '0';
  if (step >= 1000) {
    const s = ms / 1000;
    return (Number.isInteger(s) ? s : s.toFixed(step >= 1000 ? 1 : 3)) + 's';
  }
  return (Number.isInteger(ms) ? ms : ms.toFixed(Math.max(0, -Math.floor(Math.log10(step))))) + 'ms';
}

/** The index after (or before, with step -1) `current` in `list`, wrapping around; -1 for an empty list. */
export function nextIndex(list, current, step = 1) {
  if (!list.length) return -1;
  if (current < 0) return step > 0 ? 0 : list.length - 1;
  return (current + step + list.length) % list.length;
}
