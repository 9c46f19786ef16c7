// Unit tests of trace navigation (no browser): npm test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ancestorsOf, axisTicks, childrenOf, depthsOf, hiddenIds, isFilterEmpty, matches, nextIndex, searchText, startOf } from '../../main/resources/META-INF/resources/js/trace.js';

// root ─ a ─ a1
//      │   └ a2 (Error)
//      └ b ─ b1 (llm)
const spans = [
  { id: 'r', name: 'flow', kind: 'flow', status: 'Ok' },
  { id: 'a', parentId: 'r', name: 'fetch', kind: 'step', status: 'Ok' },
  { id: 'a1', parentId: 'a', name: 'get page', kind: 'rpc', status: 'Ok', tags: { 'rpc.method': 'GET' } },
  { id: 'a2', parentId: 'a', name: 'parse', kind: 'step', status: 'Error', error: { type: 'ValueError', message: 'bad HTML' } },
  { id: 'b', parentId: 'r', name: 'answer', kind: 'step', status: 'Ok', logs: ['thinking about Rome'] },
  { id: 'b1', parentId: 'b', name: 'chat gpt-4o', kind: 'llm', status: 'Ok', tags: { 'gen_ai.request.model': 'gpt-4o' } },
];

test('children by parent', () => {
  assert.deepEqual([...childrenOf(spans)], [['r', ['a', 'b']], ['a', ['a1', 'a2']], ['b', ['b1']]]);
});

test('collapsing hides every descendant, and only them', () => {
  assert.deepEqual([...hiddenIds(spans, new Set(['a']))], ['a1', 'a2']);
  assert.deepEqual([...hiddenIds(spans, new Set(['r']))], ['a', 'a1', 'a2', 'b', 'b1']);
  assert.deepEqual([...hiddenIds(spans, new Set())], []);
  assert.deepEqual([...hiddenIds(spans, new Set(['a1']))], [], 'a leaf collapsed hides nothing');
});

test('filtering keeps the matches and the path to them', () => {
  assert.deepEqual([...hiddenIds(spans, new Set(), new Set(['a2']))], ['a1', 'b', 'b1']);
  assert.deepEqual([...hiddenIds(spans, new Set(['a']), new Set(['a2']))], ['a1', 'a2', 'b', 'b1'], 'a collapsed parent still folds a match');
});

test('depth is derived from the parents-first order', () => {
  assert.deepEqual([...depthsOf(spans)], [['r', 0], ['a', 1], ['a1', 2], ['a2', 2], ['b', 1], ['b1', 2]]);
  const orphan = [{ id: 'o', parentId: 'gone' }, { id: 'o1', parentId: 'o' }];
  assert.deepEqual([...depthsOf(orphan)], [['o', 0], ['o1', 1]], 'a span whose parent is not listed is a root');
  const cycle = [{ id: 'x', parentId: 'y' }, { id: 'y', parentId: 'x' }, { id: 's', parentId: 's' }];
  assert.deepEqual([...depthsOf(cycle)], [['x', 0], ['y', 1], ['s', 0]], 'a parent listed later does not count: the cycle ends');
  const chain = Array.from({ length: 50 }, (_, i) => ({ id: 'c' + i, parentId: i ? 'c' + (i - 1) : undefined }));
  const depths = depthsOf(chain);
  assert.equal(depths.get('c31'), 31);
  assert.equal(depths.get('c32'), 32);
  assert.equal(depths.get('c49'), 32, 'capped at 32');
});

test('a span starts at the trace start plus its offset', () => {
  const traceStart = Date.parse('2026-12-01T04:00:00.250Z');
  assert.equal(new Date(startOf({ startOffsetMs: 1500 }, traceStart)).toISOString(), '2026-12-01T04:00:01.750Z');
  assert.equal(startOf({ startOffsetMs: 0 }, traceStart), traceStart);
  assert.ok(Number.isNaN(startOf({}, traceStart)), 'a span that never said when it started');
  assert.ok(Number.isNaN(startOf({ startOffsetMs: 5 }, NaN)), 'no trace start');
});

test('ancestors, nearest first; a cycle cannot hang', () => {
  assert.deepEqual(ancestorsOf(spans, 'a2'), ['a', 'r']);
  assert.deepEqual(ancestorsOf(spans, 'r'), []);
  const cycle = [{ id: 'x', parentId: 'y' }, { id: 'y', parentId: 'x' }];
  assert.ok(ancestorsOf(cycle, 'x').length <= 64);
});

test('search looks in name, kind, status, tags, logs and errors, ignoring case', () => {
  const ids = f => spans.filter(s => matches(s, f)).map(s => s.id);
  assert.deepEqual(ids({ text: 'GPT-4O' }), ['b1']);
  assert.deepEqual(ids({ text: 'rome' }), ['b'], 'logs');
  assert.deepEqual(ids({ text: 'bad html' }), ['a2'], 'error message');
  assert.deepEqual(ids({ text: 'rpc.method' }), ['a1'], 'tag names');
  assert.deepEqual(ids({ kind: 'step' }), ['a', 'a2', 'b']);
  assert.deepEqual(ids({ status: 'Error' }), ['a2']);
  assert.deepEqual(ids({ kind: 'step', text: 'an' }), ['b'], 'all fields at once');
  assert.deepEqual(ids({ text: '  ' }), spans.map(s => s.id), 'blank matches all');
  assert.ok(isFilterEmpty({ text: ' ' }) && !isFilterEmpty({ status: 'Error' }));
  const cache = new Map();
  matches(spans[5], { text: 'x' }, cache);
  assert.equal(cache.get('b1'), searchText(spans[5]), 'the text is computed once per span');
});

test('axis ticks are round and cover the window', () => {
  assert.deepEqual(axisTicks(0, 1000, 5).map(t => t.label), ['0', '200ms', '400ms', '600ms', '800ms', '1000ms']);
  assert.deepEqual(axisTicks(0, 10_000, 5).map(t => t.label), ['0', '2s', '4s', '6s', '8s', '10s']);
  assert.deepEqual(axisTicks(250, 750, 5).map(t => t.at), [300, 400, 500, 600, 700], 'a zoomed window starts at its first round tick');
  assert.deepEqual(axisTicks(0, 3, 6).map(t => t.label), ['0', '0.5ms', '1ms', '1.5ms', '2ms', '2.5ms', '3ms']);
});

test('jumping between matches wraps around', () => {
  assert.equal(nextIndex([1, 2, 3], -1), 0);
  assert.equal(nextIndex([1, 2, 3], 2), 0);
  assert.equal(nextIndex([1, 2, 3], 0, -1), 2);
  assert.equal(nextIndex([], 0), -1);
});

test('a traceback\'s frames in the flow file, innermost last', async () => {
  const { flowFrames } = await import('../../main/resources/META-INF/resources/js/spandetail.js');
  const traceback = [
    'Traceback (most recent call last):',
    '  File "/opt/herologic/herologic/runner.py", line 88, in run',
    '    result = fn(**inputs)',
    '  File "/flow/flow.py", line 6, in boom',
    '    explode()',
    '  File "/var/lib/node/pods/x/volumes/flow/flow.py", line 9, in explode',
    '    raise RuntimeError("kaboom")',
    'RuntimeError: kaboom',
  ].join('\n');
  assert.deepEqual(flowFrames(traceback), [{ line: 6, function: 'boom' }, { line: 9, function: 'explode' }]);
  assert.deepEqual(flowFrames('File "/usr/lib/python3/json/flowy.py", line 3, in x'), []);
  assert.deepEqual(flowFrames(undefined), []);
});
