// Unit tests of the UI's Python highlighter (no browser): npm test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenize } from '../../main/resources/META-INF/resources/js/python.js';

const repo = new URL('../../../../', import.meta.url).pathname;

function pythonFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? (e.name === '__pycache__' ? [] : pythonFiles(join(dir, e.name))) : e.name.endsWith('.py') ? [join(dir, e.name)] : []);
}

test('tokens put together are the source, for every Python file of the repository', () => {
  const files = pythonFiles(join(repo, 'flows'));
  assert.ok(files.length > 10, 'found the flows');
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    assert.equal(tokenize(source).map(t => t.text).join(''), source, file);
  }
});

test('classifies keywords, definitions, decorators, strings, numbers and comments', () => {
  const kinds = src => tokenize(src).filter(t => t.type !== 'space').map(t => [t.type, t.text]);
  assert.deepEqual(kinds('@flow(name="x")\ndef go(a=1.5e3):  # hi\n    return rb\'\\n\''), [
    ['decorator', '@flow'], ['other', '('], ['name', 'name'], ['other', '='], ['string', '"x"'], ['other', ')'],
    ['keyword', 'def'], ['definition', 'go'], ['other', '('], ['name', 'a'], ['other', '='], ['number', '1.5e3'], ['other', '):'],
    ['comment', '# hi'], ['keyword', 'return'], ['string', "rb'\\n'"]]);
});

test('strings: triple quotes span lines, and unterminated ones stop at the line or the end', () => {
  assert.deepEqual(tokenize("'''a\n'b'\n'''x").map(t => t.type), ['string', 'name']);
  assert.deepEqual(tokenize('"open\nx = 1').slice(0, 2).map(t => [t.type, t.text]), [['string', '"open'], ['space', '\n']]);
  assert.deepEqual(tokenize('"""never closed\n').map(t => t.type), ['string']);
});

test('a name that merely starts like a string prefix is a name', () => {
  assert.deepEqual(tokenize('bar fr(x) rb').filter(t => t.type !== 'space' && t.type !== 'other').map(t => t.text), ['bar', 'fr', 'x', 'rb']);
});
