// The plays list: newest first; free text (name, workflow, input values), time range, namespace,
// workflow and phase filters and the paging are all done by the server, so thousands of Plays stay
// fast. Refreshed every few seconds; the filters live in the address so a view can be shared.
import { getJson, paths } from './api.js';
import { chip, formatAge, formatDuration, formatNumber, h, link, message, route } from './dom.js';

const REFRESH_MS = 3000;
const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled'];
const PAGE_SIZE = 50;
/** Time ranges offered: [value, label, milliseconds back from now]. */
const RANGES = [['', 'Any time'], ['1h', 'Last hour', 3600e3], ['24h', 'Last 24 hours', 86400e3], ['7d', 'Last 7 days', 7 * 86400e3]];

export function playsPage(main, params, query) {
  const filter = { namespace: query.get('namespace') || '', workflow: query.get('workflow') || '', phase: query.get('phase') || '',
    q: query.get('q') || '', range: query.get('range') || '', page: Math.max(1, Number(query.get('page')) || 1) };
  const pageSize = Math.min(5000, Math.max(1, Number(query.get('limit')) || PAGE_SIZE));
  const search = h('input', { type: 'search', name: 'q', value: filter.q, placeholder: 'Search name, workflow, input values', 'aria-label': 'search',
    className: 'search', autocomplete: 'off', spellcheck: false });
  const rangeSelect = h('select', { name: 'range', 'aria-label': 'time range' }, ...RANGES.map(([v, label]) => h('option', { value: v }, label)));
  rangeSelect.value = filter.range;
  const prev = h('button', { type: 'button', 'data-test': 'page-prev' }, '‹ Newer');
  const next = h('button', { type: 'button', 'data-test': 'page-next' }, 'Older ›');
  const pageInfo = h('span', { className: 'muted', 'data-test': 'page-info' });
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
    h('div', { className: 'filters' }, search, rangeSelect, namespaceSelect, workflowSelect, phaseSelect,
      h('span', { className: 'pager' }, prev, pageInfo, next)),
    status, table);

  const keep = () => history.replaceState(null, '', route(['plays'], { ...filter, page: filter.page > 1 ? filter.page : '',
    limit: pageSize !== PAGE_SIZE ? pageSize : '' }));
  let typing = null;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      filter.q = search.value.trim();
      filter.page = 1;
      keep();
      refresh();
    }, 250);
  });
  rangeSelect.addEventListener('change', () => {
    filter.range = rangeSelect.value;
    filter.page = 1;
    keep();
    refresh();
  });
  prev.addEventListener('click', () => { filter.page = Math.max(1, filter.page - 1); keep(); refresh(); });
  next.addEventListener('click', () => { filter.page += 1; keep(); refresh(); });

  for (const [key, el] of [['namespace', namespaceSelect], ['workflow', workflowSelect], ['phase', phaseSelect]]) {
    el.addEventListener('change', () => {
      filter[key] = el.value;
      filter.page = 1;
      if (key === 'namespace') filter.workflow = '';
      // Keep the filter in the address so it can be shared; replace, so Back leaves the list.
      keep();
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
      const range = RANGES.find(([v]) => v === filter.range);
      const { body: list } = await getJson(paths.plays({ namespace: filter.namespace, workflow: filter.workflow, phase: filter.phase, q: filter.q,
        since: range && range[2] ? new Date(Date.now() - range[2]).toISOString() : '', offset: String((filter.page - 1) * pageSize),
        limit: String(pageSize) }), { signal: controller.signal });
      fillOptions(namespaceSelect, list.namespaces, filter.namespace);
      fillOptions(workflowSelect, list.workflows, filter.workflow);
      renderRows(body, list.items);
      count.textContent = `${list.total.toLocaleString('en-US')} play${list.total === 1 ? '' : 's'}`;
      const from = list.items.length ? list.offset + 1 : 0;
      pageInfo.textContent = `${from}–${list.offset + list.items.length} of ${list.total.toLocaleString('en-US')}`;
      prev.disabled = list.offset === 0;
      next.disabled = !list.truncated;
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
