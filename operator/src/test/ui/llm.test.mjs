// Unit tests of the LLM conversation view's logic (no browser): npm test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conversation, formatTokens, formatUsd, isLlmSpan, tokensOf } from '../../main/resources/META-INF/resources/js/llm.js';

const chat = {
  id: 'a', kind: 'llm', name: 'chat gpt-4o',
  tags: {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06', 'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 34,
    'gen_ai.input.messages': [
      { role: 'system', content: 'You book meetings.' },
      { role: 'user', content: [{ type: 'text', text: 'Book lunch' }, { type: 'image_url', image_url: { url: 'x' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', function: { name: 'calendar.create' } }] },
      { role: 'tool', content: '{"ok": true}' },
    ],
    'gen_ai.output.messages': [{ role: 'assistant', content: 'Booked for noon.' }],
  },
};

test('an llm span is a conversation of roles and texts, request then reply', () => {
  const c = conversation(chat);
  assert.equal(c.model, 'gpt-4o-2024-08-06', 'the model that answered');
  assert.equal(c.requestModel, 'gpt-4o');
  assert.equal(c.provider, 'openai');
  assert.deepEqual(c.tokens, { input: 1200, output: 34 });
  assert.deepEqual(c.messages.map(m => m.role), ['system', 'user', 'assistant', 'tool', 'assistant']);
  assert.equal(c.messages[0].text, 'You book meetings.');
  assert.equal(c.messages[1].text, 'Book lunch\n' + JSON.stringify({ type: 'image_url', image_url: { url: 'x' } }, null, 2));
  assert.match(c.messages[2].text, /^tool calls: \[/);
  assert.match(c.messages[2].text, /calendar\.create/);
  assert.equal(c.messages[4].text, 'Booked for noon.');
});

test('messages the runner cut to a string stay visible, marked as cut', () => {
  const c = conversation({ kind: 'llm', tags: { 'gen_ai.input.messages': '[{"role": "user", "content": "long…' } });
  assert.equal(c.messages.length, 1);
  assert.equal(c.messages[0].cut, true);
  assert.equal(c.messages[0].role, 'user');
  assert.equal(c.messages[0].text, '[{"role": "user", "content": "long…');
  const parsed = conversation({ kind: 'llm', tags: { 'gen_ai.output.messages': '[{"role": "assistant", "content": "hi"}]' } });
  assert.deepEqual(parsed.messages, [{ role: 'assistant', text: 'hi', cut: false }], 'a JSON string that parses is read');
});

test('which spans are LLM calls, and their tokens', () => {
  assert.equal(isLlmSpan(chat), true);
  assert.equal(isLlmSpan({ kind: 'step', tags: { 'gen_ai.usage.input_tokens': 3 } }), true);
  assert.equal(isLlmSpan({ kind: 'rpc', tags: { 'rpc.method': 'x' } }), false);
  assert.equal(isLlmSpan({ kind: 'step', tags: 'cut' }), false);
  assert.equal(tokensOf({ tags: {} }), null);
  assert.deepEqual(tokensOf({ tags: { 'gen_ai.usage.output_tokens': 5 } }), { input: 0, output: 5 });
});

test('money and token counts for people', () => {
  assert.equal(formatUsd(1.234), '$1.23');
  assert.equal(formatUsd(0.01), '$0.01');
  assert.equal(formatUsd(0.0034), '$0.0034');
  assert.equal(formatUsd(0.00012345), '$0.00012');
  assert.equal(formatUsd(0), '$0');
  assert.equal(formatUsd(null), '');
  assert.equal(formatTokens(950), '950');
  assert.equal(formatTokens(1234), '1.2k');
  assert.equal(formatTokens(45_678), '46k');
  assert.equal(formatTokens(3_400_000), '3.4M');
});
