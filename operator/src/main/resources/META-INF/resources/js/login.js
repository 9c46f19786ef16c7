// The login page: paste a bearer token, as with the Kubernetes Dashboard. The token is checked by
// asking the API who it belongs to (GET /api/v1/session); the operator checks it with a TokenReview.
import { h, message } from './dom.js';

/**
 * Renders the login form into main. onToken(token) resolves when the token was accepted and
 * rejects with an Error whose message is shown.
 */
export function loginPage(main, reason, onToken) {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: false,
    placeholder: 'eyJhbGciOi…', 'aria-label': 'Bearer token' });
  const status = h('div', { 'data-test': 'login-status' }, reason ? message('error', reason) : '');
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', {
    className: 'panel login', 'data-test': 'login',
    onsubmit: async event => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) {
        status.replaceChildren(message('error', 'Paste a token first.'));
        return;
      }
      button.disabled = true;
      status.replaceChildren(message('info', 'Checking the token…'));
      try {
        await onToken(token);
      } catch (e) {
        status.replaceChildren(message('error', e.message));
        button.disabled = false;
      }
    },
  },
  h('h1', null, 'Sign in to hero-logic'),
  h('p', null, 'The UI shows the namespaces your Kubernetes identity may read. Paste a bearer token, for example a ServiceAccount\'s:'),
  h('pre', { className: 'hint' }, 'kubectl create token <service-account> -n <namespace>'),
  h('p', { className: 'muted' }, 'The token stays in this browser tab (sessionStorage) until you sign out or close the tab. Behind an auth proxy that sends the Authorization header, no sign-in is needed.'),
  h('label', null, 'Bearer token', input),
  button, status);
  main.replaceChildren(form);
  input.focus();
}
