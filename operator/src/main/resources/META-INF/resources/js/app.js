// The router: one page at a time, chosen by the location hash. A page is a function
// (main, params, query) that renders into main and returns a function that stops its timers.
// Before any page, the API is asked who the viewer is; without a token it accepts, the login page.
import { playsPage } from './plays.js';
import { playPage } from './play.js';
import { workflowsPage, workflowPage, versionPage } from './workflows.js';
import { runPage } from './run.js';
import { h, message } from './dom.js';
import { getJson, installation, paths } from './api.js';
import { loginPage } from './login.js';
import { signIn, signOut, token } from './session.js';

const routes = [
  { pattern: /^\/plays\/?$/, page: playsPage, nav: 'plays' },
  { pattern: /^\/plays\/([^/]+)\/([^/]+)$/, page: playPage, nav: 'plays' },
  { pattern: /^\/workflows\/?$/, page: workflowsPage, nav: 'workflows' },
  { pattern: /^\/workflows\/([^/]+)\/([^/]+)$/, page: workflowPage, nav: 'workflows' },
  { pattern: /^\/versions\/([^/]+)\/([^/]+)$/, page: versionPage, nav: 'workflows' },
  { pattern: /^\/run\/([^/]+)\/([^/]+)$/, page: runPage, nav: 'workflows' },
];

let stopCurrent = () => {};
let signedIn = false;

function show() {
  if (!signedIn) return;
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

/** Asks the API who the viewer is; shows the current page, or the login page on a 401. */
async function start() {
  try {
    const { body: session } = await getJson(paths.session());
    installation.traceUrlTemplate = session.traceUrlTemplate || '';
    signedIn = true;
    showSession(session);
    show();
  } catch (e) {
    if (e.status !== 401) { // a 401 has already brought up the login page (see below)
      document.getElementById('main').replaceChildren(message('error', 'Could not reach the operator: ' + e.message));
    }
  }
}

/** The viewer's name and a sign-out in the top bar; the demo mode's warning under it. */
function showSession(session) {
  const box = document.getElementById('session');
  const stored = token() !== '';
  box.replaceChildren(
    session.user ? h('span', { className: 'user', 'data-test': 'user', title: (session.groups || []).join(', ') }, session.user) : '',
    stored ? h('button', { type: 'button', className: 'sign-out', 'data-test': 'sign-out', onclick: () => {
      signOut();
      showLogin(null);
    } }, 'Sign out') : '');
  document.getElementById('banner').replaceChildren(session.authentication === 'none'
    ? h('div', { className: 'auth-off', role: 'alert', 'data-test': 'auth-off' },
      'Authentication is off — local demo mode: anyone who can reach this port sees every namespace (HEROLOGIC_UI_AUTH=none).')
    : '');
}

function showLogin(reason) {
  signedIn = false;
  stopCurrent();
  stopCurrent = () => {};
  setNav(null);
  document.getElementById('session').replaceChildren();
  loginPage(document.getElementById('main'), reason, async value => {
    signIn(value);
    await start();
  });
}

// Any 401 (no token, a token the API server does not accept, one that expired meanwhile).
window.addEventListener('herologic:unauthorized', event => {
  const hadToken = token() !== '';
  signOut();
  showLogin(hadToken ? 'The token was not accepted: ' + event.detail : null);
});
window.addEventListener('hashchange', show);
start();
