// An llm span as a conversation, without the DOM (unit-tested by llm.test.mjs). The runner tags
// LLM spans with OpenTelemetry's GenAI names (flows/herologic/llm.py): gen_ai.request.model,
// gen_ai.response.model, gen_ai.provider.name, gen_ai.usage.input_tokens / output_tokens, and the
// messages as gen_ai.input.messages (as the flow sent them) and gen_ai.output.messages.

/** Whether a span is an LLM call: kind "llm", or GenAI token counts or messages on another kind. */
export function isLlmSpan(span) {
  const tags = tagsOf(span);
  return span.kind === 'llm' || 'gen_ai.usage.input_tokens' in tags || 'gen_ai.input.messages' in tags;
}

export function tagsOf(span) {
  return span && span.tags && typeof span.tags === 'object' && !Array.isArray(span.tags) ? span.tags : {};
}

/** {input, output} token counts of a span, or null when it has none. */
export function tokensOf(span) {
  const tags = tagsOf(span);
  const input = tags['gen_ai.usage.input_tokens'];
  const output = tags['gen_ai.usage.output_tokens'];
  if (input == null && output == null) return null;
  return { input: Number(input) || 0, output: Number(output) || 0 };
}

/**
 * The conversation: model, provider, tokens and the messages in order (the request's, then the
 * reply's), each {role, text, cut}. A messages tag the runner had to cut to a string is kept as
 * one message with cut: true.
 */
export function conversation(span) {
  const tags = tagsOf(span);
  const messages = [];
  for (const [key, fallbackRole] of [['gen_ai.input.messages', 'user'], ['gen_ai.output.messages', 'assistant']]) {
    const value = tags[key];
    if (value === undefined || value === null) continue;
    const list = typeof value === 'string' ? parseList(value) : value;
    if (!Array.isArray(list)) {
      messages.push({ role: fallbackRole, text: typeof value === 'string' ? value : JSON.stringify(value, null, 2), cut: typeof value === 'string' });
      continue;
    }
    for (const m of list) messages.push(message(m, fallbackRole));
  }
  return {
    model: tags['gen_ai.response.model'] || tags['gen_ai.request.model'] || '',
    requestModel: tags['gen_ai.request.model'] || '',
    provider: tags['gen_ai.provider.name'] || '',
    operation: tags['gen_ai.operation.name'] || '',
    tokens: tokensOf(span),
    messages,
  };
}

function parseList(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null;
  }
}

/** One message: a string content as is; content parts joined (text parts as text, others as JSON); tool calls as JSON. */
function message(m, fallbackRole) {
  if (m === null || typeof m !== 'object') return { role: fallbackRole, text: String(m), cut: false };
  const role = typeof m.role === 'string' && m.role ? m.role : fallbackRole;
  const parts = [];
  const content = m.content !== undefined ? m.content : m.parts;
  if (typeof content === 'string') parts.push(content);
  else if (Array.isArray(content)) {
    for (const p of content) {
      if (typeof p === 'string') parts.push(p);
      else if (p && typeof p.text === 'string') parts.push(p.text);
      else if (p && typeof p.content === 'string') parts.push(p.content);
      else parts.push(JSON.stringify(p, null, 2));
    }
  } else if (content !== undefined && content !== null) parts.push(JSON.stringify(content, null, 2));
  if (m.tool_calls) parts.push('tool calls: ' + JSON.stringify(m.tool_calls, null, 2));
  return { role, text: parts.join('\n'), cut: false };
}

/** USD for people: cents and up with two decimals, less with two significant digits, never "$0.00" for a cost above zero. */
export function formatUsd(usd) {
  if (usd === undefined || usd === null || !isFinite(usd)) return '';
  if (usd === 0) return '$0';
  if (usd >= 0.01) return '$' + usd.toFixed(2);
  return '$' + usd.toFixed(Math.min(20, 1 - Math.floor(Math.log10(usd))));
}

/** Token counts short: 950, 1.2k, 3.4M. */
export function formatTokens(n) {
  if (n === undefined || n === null || !isFinite(n)) return '';
  if (n < 1000) return String(n);
  if (n < 1e6) return (n / 1000).toFixed(n < 10000 ? 1 : 0).replace(/\.0$/, '') + 'k';
  return (n / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
}
