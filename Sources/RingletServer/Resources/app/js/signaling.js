// The user's signaling session (docs/protocol.md): one WebSocket to /v1/signal/user, authenticated with the
// session token, reconnected with exponential backoff (1 s doubling to 30 s, with jitter) whenever it drops.
// An app-level ping every 20 s (answered by pong within 10 s) notices a dead connection that the browser has
// not reported yet.
//
// Events (EventTarget): 'state' {detail: 'connecting' | 'online' | 'offline'}, 'welcome' {detail: message},
// 'message' {detail: message} for every server message, 'closed' {detail: {wasOnline}} when an authenticated
// session ends, 'unauthorized' when the server refuses the token or closes the session for it (the session
// expired, was signed out, or the user is gone).

const PING_INTERVAL_MS = 20000;
const PONG_TIMEOUT_MS = 10000;
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30000;
/** Why the server refuses this session's token for good (an `error` code, or the close reason). */
const REFUSALS = ['authentication_failed', 'unauthenticated', 'session_expired', 'session_revoked'];

/** A request that got an `error` reply (or none in time). */
export class SignalingError extends Error {
  constructor(code, message, seedCode) {
    super(message || code);
    this.name = 'SignalingError';
    this.code = code;
    this.seedCode = seedCode;
  }
}

export class Signaling extends EventTarget {
  constructor(token, url = Signaling.defaultURL()) {
    super();
    this.token = token;
    this.url = url;
    this.ws = null;
    this.state = 'offline';
    this.stopped = true;
    this.attempt = 0;
    this.retryTimer = null;
    this.retryAt = 0;
    this.pingTimer = null;
    this.pending = new Map();
    this.nextRequest = 1;
    this.welcome = null;
    this.onBrowserOnline = () => { if (!this.ws && !this.stopped) this.connectNow(); };
  }

  static defaultURL() {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/signal/user`;
  }

  /** Connects, and keeps reconnecting until stop(). */
  start() {
    this.stopped = false;
    window.addEventListener('online', this.onBrowserOnline);
    this.connectNow();
  }

  /** Closes for good (sign-out). */
  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onBrowserOnline);
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000, 'sign-out');
    this.ws = null;
    this.setState('offline');
  }

  /** Reconnects at once (skipping the rest of a backoff wait). */
  connectNow() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.ws || this.stopped) return;
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let authenticated = false;
    let refused = false;
    ws.onopen = () => ws.send(JSON.stringify({ v: 1, type: 'auth_user', token: this.token }));
    ws.onmessage = (event) => {
      if (ws !== this.ws || typeof event.data !== 'string') return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message.type === 'welcome') {
        authenticated = true;
        this.attempt = 0;
        this.welcome = message;
        this.setState('online');
        this.startPings();
        this.dispatchEvent(new CustomEvent('welcome', { detail: message }));
        return;
      }
      if (message.type === 'error' && REFUSALS.includes(message.code)) {
        refused = true;
      }
      this.settle(message);
      this.dispatchEvent(new CustomEvent('message', { detail: message }));
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      // The server closes a session whose token expired or was signed out with that reason (after an `error`
      // message saying the same): either is enough to stop at once rather than reconnect with a dead token.
      if (REFUSALS.includes(event.reason)) refused = true;
      this.ws = null;
      clearInterval(this.pingTimer);
      for (const [, waiter] of this.pending) waiter.reject(new SignalingError('closed', 'the connection closed'));
      this.pending.clear();
      if (authenticated) this.dispatchEvent(new CustomEvent('closed', { detail: { wasOnline: true } }));
      if (refused) {
        this.stopped = true;
        this.setState('offline');
        this.dispatchEvent(new CustomEvent('unauthorized'));
        return;
      }
      if (!this.stopped) this.scheduleReconnect();
    };
  }

  scheduleReconnect() {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.5 + Math.random() / 2));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState('offline');
    this.retryTimer = setTimeout(() => this.connectNow(), delay);
  }

  startPings() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      this.request({ type: 'ping' }, PONG_TIMEOUT_MS).catch(() => {
        if (ws && ws === this.ws) ws.close(4000, 'no pong');
      });
    }, PING_INTERVAL_MS);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  get online() { return this.state === 'online' && this.ws && this.ws.readyState === WebSocket.OPEN; }

  /** Sends a message (`v: 1` added); false when not connected. */
  send(message) {
    if (!this.online) return false;
    this.ws.send(JSON.stringify({ v: 1, ...message }));
    return true;
  }

  /** Sends a message with a fresh requestId; resolves with the reply (ack, call_result, pong), rejects on an
   *  `error` reply, a closed connection or a timeout. */
  request(message, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const requestId = `r${this.nextRequest++}`;
      if (!this.send({ ...message, requestId })) {
        reject(new SignalingError('offline', 'not connected to the server'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new SignalingError('timeout', 'the server did not answer in time'));
      }, timeoutMs);
      this.pending.set(requestId, {
        resolve: (reply) => { clearTimeout(timer); resolve(reply); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
    });
  }

  settle(message) {
    if (!message.requestId || !this.pending.has(message.requestId)) return;
    const waiter = this.pending.get(message.requestId);
    this.pending.delete(message.requestId);
    if (message.type === 'error') waiter.reject(new SignalingError(message.code, message.message, message.seedCode));
    else waiter.resolve(message);
  }
}
