// The run form: a Workflow's declared inputs as typed fields (defaults filled in, descriptions
// beside them), checked before anything is sent; with ?rerun=<play>, that Play's inputs and version
// to run again, editable. The operator creates the Play with the viewer's own token.
import { getJson, paths, sendJson } from './api.js';
import { h, link, message, route, section } from './dom.js';
import { collectInputs, controlFor, initialRaw } from './inputs.js';

export function runPage(main, [namespace, workflow], query) {
  const rerunOf = query.get('rerun') || '';
  const controller = new AbortController();
  const content = h('div');
  main.append(h('div', { className: 'page-head' },
    h('div', { className: 'crumbs' }, link(['workflows'], 'Workflows'), ' / ', namespace, ' / ', link(['workflows', namespace, workflow], workflow), ' /'),
    h('h1', null, rerunOf ? `Re-run ${rerunOf}` : `Run ${workflow}`)), content);
  load(namespace, workflow, rerunOf, controller.signal).then(({ version, declared, given }) => {
    content.append(runForm(namespace, workflow, version, declared, given, rerunOf));
  }).catch(e => {
    if (e.name !== 'AbortError') content.append(message('error', 'Could not load the workflow: ' + e.message));
  });
  return () => controller.abort();
}

/** The version to run and its declared inputs; for a re-run, the Play's version and inputs. */
async function load(namespace, workflow, rerunOf, signal) {
  const { body: w } = await getJson(paths.workflow(namespace, workflow), { signal });
  let version = w.currentVersion;
  let given = {};
  if (rerunOf) {
    const { body: play } = await getJson(paths.play(namespace, rerunOf), { signal });
    version = play.version || version;
    given = play.inputs || {};
  }
  const v = (w.versions || []).find(x => x.name === version);
  return { version, declared: v ? v.inputs || [] : null, given };
}

function runForm(namespace, workflow, version, declared, given, rerunOf) {
  const fields = new Map(); // input name -> {input, control, error}
  const formError = h('div', { 'data-test': 'run-error' });
  const nameInput = h('input', { type: 'text', id: 'play-name', name: 'play-name', placeholder: `${workflow}-xxxxx (generated)`, spellcheck: false, autocomplete: 'off' });
  const rows = [];
  // Without the declared inputs (a version the viewer may not read) the inputs are one JSON object.
  const inputs = declared || [{ name: 'inputs', type: 'object', required: false, description: 'all inputs, as one JSON object' }];
  for (const input of inputs) {
    const raw = declared ? initialRaw(input, given[input.name]) : JSON.stringify(given, null, 2);
    const control = controlOf(input, raw);
    const error = h('div', { className: 'field-error', 'data-error-for': input.name, role: 'alert' });
    fields.set(input.name, { input, control, error });
    rows.push(h('div', { className: 'field', 'data-field': input.name },
      h('label', { htmlFor: 'in-' + input.name },
        h('span', { className: 'mono' }, input.name), ' ',
        h('span', { className: 'tag' }, input.type || 'any'),
        input.required ? h('span', { className: 'tag tag-required' }, 'required') : ''),
      control,
      h('div', { className: 'muted field-help' }, [input.description || '',
        input.defaultValue !== undefined ? ` (default ${JSON.stringify(input.defaultValue)})` : ''].join('')),
      error));
  }
  const button = h('button', { type: 'submit', 'data-test': 'run-submit' }, rerunOf ? 'Re-run' : 'Run');
  const form = h('form', {
    className: 'run-form', 'data-test': 'run-form', noValidate: true,
    onsubmit: async event => {
      event.preventDefault();
      const raws = {};
      for (const [name, f] of fields) raws[name] = f.control.type === 'checkbox' ? f.control.checked : f.control.value;
      const { inputs: values, errors } = collectInputs(inputs, raws);
      for (const [name, f] of fields) {
        f.error.textContent = errors[name] || '';
        f.control.setAttribute('aria-invalid', String(Boolean(errors[name])));
      }
      formError.replaceChildren();
      const firstBad = [...fields.values()].find(f => errors[f.input.name]);
      if (firstBad) {
        firstBad.control.focus();
        formError.replaceChildren(message('error', 'Fix the fields marked above; nothing was sent.'));
        return;
      }
      const body = { workflow, inputs: declared ? values : values.inputs || {}, name: nameInput.value.trim() || undefined };
      if (rerunOf) body.rerunOf = rerunOf;
      button.disabled = true;
      try {
        const created = await sendJson('POST', paths.createPlay(namespace), body);
        location.hash = route(['plays', created.namespace, created.name]);
      } catch (e) {
        formError.replaceChildren(message('error', 'Not run: ' + e.message));
        button.disabled = false;
      }
    },
  },
  h('p', { className: 'muted' }, rerunOf
    ? `Runs version ${version || '(current)'} again with ${rerunOf}'s inputs and settings; change any input first if you like.`
    : `Runs the current version${version ? ' (' + version + ')' : ''}. Empty optional fields take their default.`),
  ...rows,
  h('div', { className: 'field' }, h('label', { htmlFor: 'play-name' }, 'Play name (optional)'), nameInput),
  button, formError);
  return section('Inputs', form);
}

function controlOf(input, raw) {
  const id = 'in-' + input.name;
  switch (controlFor(input.type)) {
    case 'checkbox': return h('input', { type: 'checkbox', id, name: input.name, checked: raw === true });
    case 'json': return h('textarea', { id, name: input.name, rows: 4, spellcheck: false, className: 'mono', value: raw });
    case 'integer': return h('input', { type: 'text', inputMode: 'numeric', id, name: input.name, value: raw, autocomplete: 'off' });
    case 'number': return h('input', { type: 'text', inputMode: 'decimal', id, name: input.name, value: raw, autocomplete: 'off' });
    default: return h('input', { type: 'text', id, name: input.name, value: raw, autocomplete: 'off', spellcheck: false });
  }
}
