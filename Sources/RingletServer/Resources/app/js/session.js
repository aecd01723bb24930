// Where the session token lives. Each page keeps its own in sessionStorage (so two tabs may be two people), and
// the last sign-in is also kept in localStorage, so that a new tab of this browser starts signed in.
// A sign-in link carries a one-time code in the fragment (`/app/#code=rlc_…`), never a token: the page takes it
// out of the address bar at once and exchanges it for a session (`POST /v1/sign-in`); a link that is opened
// again, forwarded or found in a history signs nobody in.

const KEY = 'ringlet.token';

/** The sign-in code in the page's address (`#code=rlc_…`), removed from it; or null. */
export function takeCodeFromLocation() {
  const params = new URLSearchParams(location.hash.slice(1));
  const code = params.get('code');
  if (!code && !params.has('token')) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return code && code.startsWith('rlc_') ? code : null;
}

/** The token this page should use, or null. */
export function loadToken() {
  return sessionStorage.getItem(KEY) || localStorage.getItem(KEY);
}

/** Keeps `token` for this page and for new pages. */
export function saveToken(token) {
  sessionStorage.setItem(KEY, token);
  localStorage.setItem(KEY, token);
}

/** Keeps `token` for this page only (a new tab that started from localStorage's token sticks to it). */
export function keepForThisPage(token) {
  sessionStorage.setItem(KEY, token);
}

/** Forgets `token` (this page; and new pages, if it is the one they would use). */
export function clearToken(token) {
  sessionStorage.removeItem(KEY);
  if (!token || localStorage.getItem(KEY) === token) localStorage.removeItem(KEY);
}
