// Unit tests of the run form's logic (no browser): npm test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectInputs, controlFor, effectiveInputs, initialRaw, parseField } from '../../main/resources/META-INF/resources/js/inputs.js';

const declared = [
  { name: 'topic', type: 'string', required: true, description: 'what about' },
  { name: 'steps', type: 'integer', required: false, defaultValue: 3 },
  { name: 'ratio', type: 'number', required: false, defaultValue: 0.5 },
  { name: 'loud', type: 'boolean', required: false, defaultValue: false },
  { name: 'options', type: 'object', required: false, defaultValue: { a: 1 } },
  { name: 'tags', type: 'array', required: false },
  { name: 'anything', required: false },
];

test('each declared type gets its control; an undeclared type is JSON', () => {
  assert.deepEqual(declared.map(i => controlFor(i.type)), ['text', 'integer', 'number', 'checkbox', 'json', 'json', 'json']);
});

test('the form starts with the given value, else the default, else empty', () => {
  assert.deepEqual(declared.map(i => initialRaw(i, undefined)), ['', '3', '0.5', false, '{\n  "a": 1\n}', '', '']);
  assert.equal(initialRaw(declared[1], 7), '7');
  assert.equal(initialRaw(declared[3], true), true);
  assert.equal(initialRaw(declared[6], null), 'null', 'a given null is shown, not dropped');
});

test('defaults fill the form and give back the same values', () => {
  const raws = Object.fromEntries(declared.map(i => [i.name, initialRaw(i, undefined)]));
  raws.topic = 'dogs';
  const { inputs, errors } = collectInputs(declared, raws);
  assert.deepEqual(errors, {});
  assert.deepEqual(inputs, { topic: 'dogs', steps: 3, ratio: 0.5, loud: false, options: { a: 1 } });
});

test('a required input left empty is an error naming it; empty optional fields are left out', () => {
  const { inputs, errors } = collectInputs(declared, { topic: '', steps: '', ratio: '  ', loud: false, options: '', tags: '', anything: '' });
  assert.deepEqual(errors, { topic: 'topic is required' });
  assert.deepEqual(inputs, { loud: false });
});

test('wrong types are refused with the field named and the value quoted', () => {
  assert.deepEqual(parseField(declared[1], '1.5'), { error: 'steps must be a whole number, got "1.5"' });
  assert.deepEqual(parseField(declared[1], 'three'), { error: 'steps must be a whole number, got "three"' });
  assert.deepEqual(parseField(declared[1], '99999999999999999999'), { error: 'steps is too large for a whole number' });
  assert.deepEqual(parseField(declared[2], '1e'), { error: 'ratio must be a number, got "1e"' });
  assert.deepEqual(parseField(declared[4], '[1]'), { error: 'options must be a JSON object ({...})' });
  assert.deepEqual(parseField(declared[4], 'null'), { error: 'options must be a JSON object ({...})' });
  assert.deepEqual(parseField(declared[5], '{}'), { error: 'tags must be a JSON array ([...])' });
  assert.match(parseField(declared[6], '{nope').error, /^anything must be JSON: /);
});

test('good values of each type', () => {
  assert.deepEqual(parseField(declared[1], ' -12 '), { value: -12 });
  assert.deepEqual(parseField(declared[2], '2.5e3'), { value: 2500 });
  assert.deepEqual(parseField(declared[3], true), { value: true });
  assert.deepEqual(parseField(declared[5], '["x", 2]'), { value: ['x', 2] });
  assert.deepEqual(parseField(declared[6], '"text"'), { value: 'text' });
  assert.deepEqual(parseField(declared[0], '  spaced  '), { value: '  spaced  ' }, 'strings are sent as typed');
});

test('effective inputs: the given ones, then the defaults of the rest', () => {
  assert.deepEqual(effectiveInputs(declared, { topic: 'x', steps: 9 }), { topic: 'x', steps: 9, ratio: 0.5, loud: false, options: { a: 1 } });
  assert.deepEqual(effectiveInputs(declared, undefined).steps, 3);
  assert.deepEqual(effectiveInputs(undefined, { a: 1 }), { a: 1 });
});
