// What a span shows when opened: an LLM call as a conversation, any other span as facts, tags and logs.
import { conversation, formatUsd, isLlmSpan } from './llm.js';
import { append, facts, formatDuration, formatNumber, formatTime, h, jsonBlock, link, route } from './dom.js';

/**
 * An LLM call as people read it: the messages by role, then model, tokens, latency and cost; the
 * raw attributes one click away (a closed <details>).
 */
function llmDetail(span, cost) {
  const c = conversation(span);
  const messages = c.messages.length ? c.messages.map(m => h('div', { className: 'msg msg-' + roleClass(m.role), 'data-role': m.role },
    h('div', { className: 'msg-role' }, m.role, m.cut ? h('span', { className: 'muted' }, ' (cut to fit the status)') : ''),
    h('pre', { className: 'msg-text' }, m.text)))
    : [h('p', { className: 'muted' }, 'No messages recorded (the flow did not call record_prompt or record_reply).')];
  return [
    h('div', { className: 'conversation', 'data-test': 'conversation' }, ...messages),
    facts([
      ['Model', c.model ? h('span', { className: 'mono', 'data-test': 'llm-model' }, c.model) : ''],
      ['Requested', c.requestModel && c.requestModel !== c.model ? c.requestModel : ''],
      ['Provider', c.provider],
      ['Tokens', c.tokens ? h('span', { 'data-test': 'llm-tokens' }, `in ${formatNumber(c.tokens.input)}, out ${formatNumber(c.tokens.output)}`) : ''],
      ['Latency', formatDuration(span.durationMs)],
      ['Cost', cost != null ? h('span', { 'data-test': 'llm-cost' }, formatUsd(cost)) : c.tokens ? h('span', { className: 'muted', 'data-test': 'llm-cost' }, 'no price for this model') : ''],
    ]),
  ];
}

function roleClass(role) {
  return ['system', 'user', 'assistant', 'tool'].includes(role) ? role : 'other';
}

/** The detail of `span`; `start` is when it started, in ms since the epoch (trace.js startOf), NaN if unknown. */
export function spanDetail(span, cost, start) {
  const started = isFinite(start) ? new Date(start).toISOString() : '';
  if (isLlmSpan(span)) {
    const parts = llmDetail(span, cost);
    if (span.error) parts.push(h('h3', null, 'Error'), errorBox(span.error, 'span-error'));
    parts.push(h('details', { className: 'raw', 'data-test': 'raw' }, h('summary', null, 'Raw attributes'),
      facts([['Span id', h('span', { className: 'mono' }, span.id)], ['Started', formatTime(started)]]),
      jsonBlock(span.tags, 'json tags'),
      span.logs && span.logs.length ? h('pre', { className: 'logs', 'data-test': 'logs' }, span.logs.join('\n')) : ''));
    return parts;
  }
  return plainDetail(span, started);
}

function plainDetail(span, started) {
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
    ['Started', formatTime(started)],
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


/**
 * An error with its traceback. With `source` ({namespace, version}), each frame in the flow's own
 * file links to that line of the version's source.
 */
export function errorBox(error, test, source) {
  const frames = source && source.version ? flowFrames(error.traceback) : [];
  return h('div', { className: 'error-box', 'data-test': test },
    h('div', { className: 'error-title' }, [error.type, error.message].filter(Boolean).join(': ')),
    error.traceback ? h('pre', { className: 'traceback' }, error.traceback) : '',
    frames.length ? h('div', { className: 'frames', 'data-test': 'frames' }, 'In the source: ',
      ...frames.flatMap((f, i) => [i ? ', ' : '', h('a', { href: route(['versions', source.namespace, source.version], { line: f.line }),
        'data-test': 'frame-link' }, `line ${f.line}` + (f.function ? ` (${f.function})` : ''))])) : '');
}

/**
 * Whether a traceback's file is the flow's source: the runner runs /flow/flow.py
 * (PlayPodFactory.FLOW_DIR + FlowSource.FILE_NAME); a node may mount that folder elsewhere.
 */
export function isFlowFile(path) {
  return path === 'flow.py' || path.endsWith('/flow.py');
}

/** The frames of a Python traceback in the flow's file, innermost last: {line, function}. */
export function flowFrames(traceback) {
  if (typeof traceback !== 'string') return [];
  const out = [];
  const pattern = /File "([^"]+)", line (\d+)(?:, in (.+))?/g;
  for (let m = pattern.exec(traceback); m; m = pattern.exec(traceback)) {
    if (isFlowFile(m[1])) out.push({ line: Number(m[2]), function: (m[3] || '').trim() });
  }
  return out;
}

