// The HTTP API (docs/api.md) as the signed-in user sees it. Errors keep the API's shape:
// {"error": {"code", "message", "seedCode"?}} becomes an ApiError with status, code, message and seedCode.

/** A failed API call. */
export class ApiError extends Error {
  constructor(status, code, message, seedCode) {
    super(message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || 'unknown';
    this.seedCode = seedCode;
  }
}

/** Calls `/v1/…` with a session token (or none, for the development sign-in). */
export class Api {
  constructor(token) {
    this.token = token;
  }

  async request(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection.');
    }
    if (response.status === 204) return null;
    let json = null;
    try {
      json = await response.json();
    } catch (error) {
      json = null;
    }
    if (!response.ok) {
      const e = json && json.error ? json.error : {};
      throw new ApiError(response.status, e.code, e.message, e.seedCode);
    }
    return json;
  }

  get(path) { return this.request('GET', path); }
  post(path, body) { return this.request('POST', path, body); }
  delete(path) { return this.request('DELETE', path); }

  me() { return this.get('/v1/me'); }
  signOut() { return this.delete('/v1/me/session'); }
  exchangeSignInCode(code) { return this.post('/v1/sign-in', { code }); }
  authorizations() { return this.get('/v1/me/authorizations'); }
  authorize(sn, ticket) { return this.post('/v1/me/authorizations', { sn, ticket }); }
  revoke(sn) { return this.delete(`/v1/me/authorizations/${encodeURIComponent(sn)}`); }
  notices() { return this.get('/v1/me/notices?limit=100'); }
  markNoticeRead(id) { return this.post(`/v1/me/notices/${encodeURIComponent(id)}/read`); }
  calls() { return this.get('/v1/me/calls?limit=100'); }
  vapidPublicKey() { return this.get('/v1/push/vapid-public-key'); }
  addPushSubscription(subscription) { return this.post('/v1/me/push-subscriptions', subscription); }
  deletePushSubscription(endpoint) {
    return this.delete(`/v1/me/push-subscriptions?endpoint=${encodeURIComponent(endpoint)}`);
  }
  devUsers() { return this.get('/v1/dev/users'); }
  devSignIn(name) { return this.post('/v1/dev/sign-in', { name }); }
}
