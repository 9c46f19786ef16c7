// A small Python highlighter: a lossless tokenizer (the tokens' text joined is the source,
// character for character) and a renderer that builds text nodes inside class-named spans.

const KEYWORDS = new Set(('False None True and as assert async await break class continue def del elif else except '
  + 'finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case').split(' '));
const BUILTINS = new Set(('abs all any ascii bin bool bytearray bytes callable chr classmethod compile complex dict dir '
  + 'divmod enumerate eval exec filter float format frozenset getattr globals hasattr hash hex id input int isinstance '
  + 'issubclass iter len list locals map max min next object oct open ord pow print property range repr reversed round '
  + 'set setattr slice sorted staticmethod str sum super tuple type vars zip self cls Exception ValueError TypeError '
  + 'KeyError IndexError RuntimeError OSError').split(' '));

// One alternative per token class, tried in this order at each position (sticky).
const TOKEN = new RegExp([
  '(?<comment>#[^\\n]*)',
  '(?<string>(?:[rRbBuUfF]{1,2})?(?:\'\'\'[\\s\\S]*?(?:\'\'\'|$(?![\\s\\S]))|"""[\\s\\S]*?(?:"""|$(?![\\s\\S]))|\'(?:[^\'\\\\\\n]|\\\\[\\s\\S])*(?:\'|(?=\\n)|$(?![\\s\\S]))|"(?:[^"\\\\\\n]|\\\\[\\s\\S])*(?:"|(?=\\n)|$(?![\\s\\S]))))',
  '(?<decorator>@[\\p{L}_][\\p{L}\\p{N}_.]*)',
  '(?<number>(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\\d[\\d_]*(?:\\.[\\d_]*)?|\\.\\d[\\d_]*)(?:[eE][+-]?\\d+)?[jJ]?)(?![\\p{L}\\p{N}_]))',
  '(?<name>[\\p{L}_][\\p{L}\\p{N}_]*)',
  '(?<space>\\s+)',
  '(?<other>[\\s\\S])',
].join('|'), 'uy');

/** [{type, text}] covering the whole source; type is one of comment, string, decorator, number,
 *  keyword, builtin, definition (the name after def/class), name, space, other. */
export function tokenize(source) {
  const tokens = [];
  let afterDef = false;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const m = TOKEN.exec(source);
    if (!m) break; // cannot happen: `other` matches any character
    const g = m.groups;
    let type = Object.keys(g).find(k => g[k] !== undefined);
    const text = m[0];
    if (type === 'name') {
      if (afterDef) type = 'definition';
      else if (KEYWORDS.has(text)) type = 'keyword';
      else if (BUILTINS.has(text)) type = 'builtin';
    }
    if (type !== 'space') afterDef = type === 'keyword' && (text === 'def' || text === 'class');
    const last = tokens[tokens.length - 1];
    if (last && last.type === type && (type === 'space' || type === 'other')) last.text += text;
    else tokens.push({ type, text });
  }
  return tokens;
}

/**
 * The source as a <code> element of numbered lines (the numbers are CSS counters, so copying the
 * text copies only the source). Its textContent equals the source exactly.
 */
export function highlight(source) {
  const code = document.createElement('code');
  code.className = 'python';
  let line = newLine();
  const lines = [line];
  for (const token of tokenize(source)) {
    const pieces = token.text.split('\n');
    pieces.forEach((piece, i) => {
      if (i > 0) {
        line.appendChild(document.createTextNode('\n'));
        line = newLine();
        lines.push(line);
      }
      if (piece === '') return;
      if (token.type === 'space' || token.type === 'other' || token.type === 'name') {
        line.appendChild(document.createTextNode(piece));
      } else {
        const span = document.createElement('span');
        span.className = 'tok-' + token.type;
        span.textContent = piece;
        line.appendChild(span);
      }
    });
  }
  // A final newline does not open one more numbered line.
  if (lines.length > 1 && line.childNodes.length === 0) {
    lines.pop();
  }
  code.append(...lines);
  return code;
}

function newLine() {
  const line = document.createElement('span');
  line.className = 'line';
  return line;
}
