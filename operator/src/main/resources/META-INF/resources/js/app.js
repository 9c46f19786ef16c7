// The router: one page at a time, chosen by the location hash. A page is a function
// (main, params, query) that renders into main and returns a function that stops its timers.
import { playsPage } from './plays.js';
import { playPage } from './play.js';
import { workflowsPage, workflowPage, versionPage } from './workflows.js';
import { message } from './dom.js';

const routes = [
  { pattern: /^\/plays\/?$/, page: playsPage, nav: 'plays' },
  { pattern: /^\/plays\/([^/]+)\/([^/]+)$/, page: playPage, nav: 'plays' },
  { pattern: /^\/workflows\/?$/, page: workflowsPage, nav: 'workflows' },
  { pattern: /^\/workflows\/([^/]+)\/([^/]+)$/, page: workflowPage, nav: 'workflows' },
  { pattern: /^\/versions\/([^/]+)\/([^/]+)$/, page: versionPage, nav: 'workflows' },
];

let stopCurrent = () => {};

function show() {
  const raw = location.hash.replace(/^#/, '') || '/plays';
  const [path, search] = splitOnce(raw, '?');
  const main = document.getElementById('main');
  stopCurrent();
  stopCurrent = () => {};
  main.replaceChildren();
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    setNav(route.nav);
    const params = m.slice(1).map(decodeURIComponent);
    stopCurrent = route.page(main, params, new URLSearchParams(search || '')) || (() => {});
    return;
  }
  setNav(null);
  main.append(message('error', 'No such page: ' + raw));
}

function setNav(active) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.getAttribute('data-nav') === active);
  }
}

function splitOnce(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

window.addEventListener('hashchange', show);
show();
