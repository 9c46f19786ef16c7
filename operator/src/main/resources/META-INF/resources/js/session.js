// The viewer's bearer token, as the Kubernetes Dashboard keeps it: in sessionStorage (this tab
// only, gone when the tab closes), sent as "Authorization: Bearer ..." by every API request.
// Behind an auth proxy there is no stored token: the proxy adds the header itself.

const KEY = 'herologic.token';

export function token() {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch (e) {
    return '';
  }
}

export function signIn(value) {
  sessionStorage.setItem(KEY, value.trim());
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

/** The Authorization header for the stored token, if any. */
export function authHeaders() {
  const t = token();
  return t ? { Authorization: 'Bearer ' + t } : {};
}

/** Tells the app that the API refused the credentials: it shows the login page. */
export function unauthorized(message) {
  window.dispatchEvent(new CustomEvent('herologic:unauthorized', { detail: message }));
}
