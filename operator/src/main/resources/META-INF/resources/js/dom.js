// Building the DOM without ever parsing data as HTML: every string becomes a text node.
// Nothing in the UI uses innerHTML, outerHTML, insertAdjacentHTML or document.write.

/**
 * h('a', {className: 'x', href: '#/plays'}, 'text', childNode, [more, children])
 * Attributes are set as properties (or via setAttribute for data-* and aria-*); children that are
 * strings or numbers become text nodes; null, undefined and false are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role') el.setAttribute(key, String(value));
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else el[key] = value;
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

/** A link inside the app: the hash route is built from encoded parts, never from raw data. */
export function link(parts, text, query) {
  return h('a', { href: route(parts, query) }, text);
}

export function route(parts, query) {
  let hash = '#/' + parts.map(p => encodeURIComponent(p)).join('/');
  const q = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString() : '';
  return q ? hash + '?' + q : hash;
}

const PHASES = new Set(['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled']);
const SPAN_STATES = new Set(['Running', 'Ok', 'Error']);

/** A coloured chip for a Play phase or a span status; unknown values get a neutral chip. */
export function chip(value, title) {
  const known = PHASES.has(value) || SPAN_STATES.has(value);
  return h('span', { className: 'chip ' + (known ? 'chip-' + value.toLowerCase() : 'chip-unknown'), title }, value || 'Unknown');
}

export function readyChip(ready, title) {
  if (ready === true) return h('span', { className: 'chip chip-ok', title }, 'Ready');
  if (ready === false) return h('span', { className: 'chip chip-error', title }, 'Not ready');
  return h('span', { className: 'chip chip-unknown', title }, 'Unknown');
}

export function formatDuration(ms) {
  if (ms === undefined || ms === null || !isFinite(ms)) return '';
  if (ms < 1000) return Math.round(ms) + 'ms';
  const s = ms / 1000;
  if (s < 60) return (s < 10 ? s.toFixed(2) : s.toFixed(1)) + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm' + Math.floor(s % 60) + 's';
  const hours = Math.floor(m / 60);
  return hours + 'h' + (m % 60) + 'm';
}

export function formatAge(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (!isFinite(t)) return '';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}

export function formatTime(iso) {
  const t = Date.parse(iso);
  return isFinite(t) ? new Date(t).toLocaleString() : '';
}

export function formatNumber(n) {
  return n === undefined || n === null ? '' : Number(n).toLocaleString('en-US');
}

/** Pretty JSON in a <pre>, as text. */
export function jsonBlock(value, className = 'json') {
  const text = value === undefined ? '' : JSON.stringify(value, null, 2);
  return h('pre', { className }, text);
}

/** A definition list from [label, value] pairs; pairs with an empty value are left out. */
export function facts(pairs) {
  const dl = h('dl', { className: 'facts' });
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    append(dl, [h('dt', null, label), h('dd', null, value)]);
  }
  return dl;
}

export function section(title, ...children) {
  return h('section', { className: 'panel' }, h('h2', null, title), ...children);
}

export function message(kind, text) {
  return h('div', { className: 'message message-' + kind, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** Status conditions, one block each: type, status and reason on a line, the message below. */
export function conditionsTable(conditions) {
  return h('div', { className: 'conditions' }, ...conditions.map(c => h('div', { className: 'condition', title: c.lastTransitionTime || '' },
    h('div', null, h('strong', null, c.type), ' ', h('span', { className: c.status === 'True' ? 'cond-true' : 'cond-false' }, c.status),
      c.reason ? h('span', { className: 'muted' }, ' · ' + c.reason) : ''),
    c.message ? h('div', { className: 'muted wrap' }, c.message) : '')));
}
