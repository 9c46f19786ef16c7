// The plays list: newest first, filtered by namespace, workflow and phase, refreshed every few seconds.
import { getJson, paths } from './api.js';
import { chip, formatAge, formatDuration, formatNumber, h, link, message, route } from './dom.js';

const REFRESH_MS = 3000;
const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled'];

export function playsPage(main, params, query) {
  const filter = { namespace: query.get('namespace') || '', workflow: query.get('workflow') || '', phase: query.get('phase') || '' };
  const namespaceSelect = select('namespace', 'All namespaces');
  const workflowSelect = select('workflow', 'All workflows');
  const phaseSelect = select('phase', 'All phases');
  fillOptions(phaseSelect, PHASES, filter.phase, false);
  const count = h('span', { className: 'muted', 'data-test': 'play-count' });
  const status = h('div');
  const body = h('tbody');
  const table = h('table', { className: 'grid plays', 'data-test': 'plays' },
    h('thead', null, h('tr', null, ...['Namespace', 'Name', 'Workflow', 'Version', 'Phase', 'Duration', 'Tokens', 'Age']
      .map((t, i) => h('th', { className: i >= 5 ? 'num' : '' }, t)))),
    body);
  main.append(
    h('div', { className: 'page-head' }, h('h1', null, 'Plays'), count),
    h('div', { className: 'filters' }, namespaceSelect, workflowSelect, phaseSelect),
    status, table);

  for (const [key, el] of [['namespace', namespaceSelect], ['workflow', workflowSelect], ['phase', phaseSelect]]) {
    el.addEventListener('change', () => {
      filter[key] = el.value;
      if (key === 'namespace') filter.workflow = '';
      // Keep the filter in the address so it can be shared; replace, so Back leaves the list.
      history.replaceState(null, '', route(['plays'], filter));
      refresh();
    });
  }

  let timer = null;
  let stopped = false;
  let controller = null;

  async function refresh() {
    clearTimeout(timer);
    controller?.abort();
    controller = new AbortController();
    try {
      const { body: list } = await getJson(paths.plays(filter), { signal: controller.signal });
      fillOptions(namespaceSelect, list.namespaces, filter.namespace);
      fillOptions(workflowSelect, list.workflows, filter.workflow);
      renderRows(body, list.items);
      count.textContent = list.truncated ? `${list.items.length} of ${list.total} plays` : `${list.total} play${list.total === 1 ? '' : 's'}`;
      status.replaceChildren(list.total === 0 ? message('info', 'No plays match. Create one with kubectl apply -f play.yaml.') : '');
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.replaceChildren(message('error', 'Could not load plays: ' + e.message));
    }
    if (!stopped) timer = setTimeout(() => document.hidden ? (timer = setTimeout(refresh, REFRESH_MS)) : refresh(), REFRESH_MS);
  }

  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
  };
}

function renderRows(body, plays) {
  const now = Date.now();
  const rows = plays.map(p => h('tr', { 'data-play': p.namespace + '/' + p.name },
    h('td', null, p.namespace),
    h('td', null, link(['plays', p.namespace, p.name], p.name)),
    h('td', null, p.workflow ? link(['workflows', p.namespace, p.workflow], p.workflow) : ''),
    h('td', null, p.version ? link(['versions', p.namespace, p.version], p.version) : h('span', { className: 'muted' }, '—')),
    h('td', null, chip(p.phase, p.message)),
    h('td', { className: 'num' }, p.duration || formatDuration(p.durationMs)),
    h('td', { className: 'num' }, formatNumber(p.tokens)),
    h('td', { className: 'num', title: p.created }, formatAge(p.created, now))));
  body.replaceChildren(...rows);
}

function select(name, allLabel) {
  return h('select', { name, 'aria-label': name, 'data-all': allLabel }, h('option', { value: '' }, allLabel));
}

/** Sets the options of a filter, keeping the chosen value even when no play has it now. */
function fillOptions(el, values, chosen, sorted = true) {
  const all = [...new Set([...(values || []), ...(chosen ? [chosen] : [])])];
  if (sorted) all.sort();
  const current = [...el.options].slice(1).map(o => o.value);
  if (current.join('\n') !== all.join('\n')) {
    el.replaceChildren(h('option', { value: '' }, el.getAttribute('data-all')), ...all.map(v => h('option', { value: v }, v)));
  }
  el.value = chosen || '';
}
