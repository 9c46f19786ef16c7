// The run form's logic, without the DOM (unit-tested by inputs.test.mjs): which control each
// declared input gets, and turning what was typed into the Play's inputs, or into errors naming
// the field. The same rules as the operator's (flows/CONTRACT.md): a required input must be given,
// a typed one must have that JSON type; an empty optional field is left out, so its default applies.

/** The control for a declared type: text, integer, number, checkbox, or json (objects, arrays, any type). */
export function controlFor(type) {
  switch (type) {
    case 'string': return 'text';
    case 'integer': return 'integer';
    case 'number': return 'number';
    case 'boolean': return 'checkbox';
    default: return 'json';
  }
}

/** What a control shows at first: the given value if any, else the default, as the control's raw value. */
export function initialRaw(input, given) {
  const value = given !== undefined ? given : input.defaultValue;
  const control = controlFor(input.type);
  if (control === 'checkbox') return value === true;
  if (value === undefined) return '';
  if (control === 'json') return JSON.stringify(value, null, 2);
  return value === null ? '' : String(value);
}

/**
 * One field: {value} to send, {omit: true} when empty and optional, or {error} saying what is wrong.
 * A checkbox always has a value: it cannot be "empty".
 */
export function parseField(input, raw) {
  const control = controlFor(input.type);
  if (control === 'checkbox') return { value: raw === true };
  const text = typeof raw === 'string' ? raw : '';
  if (text.trim() === '') {
    if (control === 'text' && text !== '') return { value: text };
    return input.required ? { error: `${input.name} is required` } : { omit: true };
  }
  if (control === 'text') return { value: text };
  if (control === 'integer') {
    if (!/^-?\d+$/.test(text.trim())) return { error: `${input.name} must be a whole number, got "${text.trim()}"` };
    const n = Number(text.trim());
    if (!Number.isSafeInteger(n)) return { error: `${input.name} is too large for a whole number` };
    return { value: n };
  }
  if (control === 'number') {
    const n = Number(text.trim());
    if (!isFinite(n)) return { error: `${input.name} must be a number, got "${text.trim()}"` };
    return { value: n };
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `${input.name} must be JSON: ${e.message}` };
  }
  if (input.type === 'object' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    return { error: `${input.name} must be a JSON object ({...})` };
  }
  if (input.type === 'array' && !Array.isArray(value)) return { error: `${input.name} must be a JSON array ([...])` };
  return { value };
}

/** All fields: {inputs, errors}; errors maps an input's name to its message, empty when the form can be sent. */
export function collectInputs(declared, raws) {
  const inputs = {};
  const errors = {};
  for (const input of declared) {
    const result = parseField(input, raws[input.name]);
    if (result.error) errors[input.name] = result.error;
    else if (!result.omit) inputs[input.name] = result.value;
  }
  return { inputs, errors };
}

/** The inputs the flow runs with: the given ones, then each declared default for what was not given. */
export function effectiveInputs(declared, given) {
  const out = { ...(given || {}) };
  for (const input of declared || []) {
    if (!(input.name in out) && input.defaultValue !== undefined) out[input.name] = input.defaultValue;
  }
  return out;
}
