// Where the session token lives. Each page keeps its own in sessionStorage (so two tabs may be two people), and
// the last sign-in is also kept in localStorage, so that a new tab of this browser starts signed in.
// A sign-in link carries the token in the fragment (`/app/#token=rlu_…`): it is taken and removed from the
// address bar at once, so it does not stay in the history or get bookmarked.

const KEY = 'ringlet.token';

/** The token in the page's address (`#token=rlu_…`), removed from it; or null. */
export function takeTokenFromLocation() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (!token) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return token.startsWith('rlu_') ? token : null;
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
