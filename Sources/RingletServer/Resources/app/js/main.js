// The Ringlet web app (docs/webapp.md): sign-in, devices, notices, call history, and calls.
// <body data-view> is loading | signin | main; the call view's state is on <body> too (see callview.js).

import { Api, ApiError } from './api.js';
import { CallController } from './call.js';
import { CallView } from './callview.js';
import { renderCalls, renderDevices, renderNotices } from './lists.js';
import { PushSetup } from './notifications.js';
import { clearToken, keepForThisPage, loadToken, saveToken, takeCodeFromLocation } from './session.js';
import { Signaling } from './signaling.js';
import { byId, el, setMessage, toast } from './ui.js';

/** The custom command button's label; the device receives it as USR_DATA. */
const COMMAND_LABEL = 'Open door';
/** `/app/?ice=relay` makes calls use TURN-relayed paths only (a diagnostic, and the relayed call tests). */
const ICE_TRANSPORT_POLICY = new URLSearchParams(location.search).get('ice') === 'relay' ? 'relay' : 'all';
/** How often the device list (with online states) is refreshed while it is shown (ms). */
const DEVICE_REFRESH_MS = 10000;
/** How long a page opened from a notification's Answer waits for that call to ring here (ms). */
const ANSWER_WAIT_MS = 10000;
/** How often the offline view tries the server again (ms). */
const OFFLINE_RETRY_MS = 5000;
/** The tabs of the signed-in view, in order. */
const TABS = ['devices', 'notices', 'history', 'account'];

class App {
  constructor() {
    this.token = null;
    this.api = null;
    this.me = null;
    this.signaling = null;
    this.devices = [];
    this.notices = [];
    this.calls = [];
    /** Settles once the first device list of this sign-in has been asked for: notices and history wait for it,
     * so that a row is titled with the device's name from the start, never with its SN for a moment. */
    this.devicesLoaded = Promise.resolve();
    /** Whether the notices and the history have been fetched and shown since sign-in. */
    this.noticesShown = false;
    this.callsShown = false;
    this.deviceTimer = null;
    this.callView = new CallView();
    this.calling = null;
    this.pendingAnswer = null;
    this.push = new PushSetup({
      onAnswer: (callId) => this.answerFromNotification(callId),
      onShow: (url) => this.showFromNotification(url),
    });
    byId('custom-label').textContent = COMMAND_LABEL;
    this.wire();
  }

  wire() {
    byId('dev-signin').addEventListener('submit', (event) => { event.preventDefault(); this.devSignIn(); });
    byId('sign-out').addEventListener('click', () => this.signOut('', { everywhere: true }));
    byId('authorize-form').addEventListener('submit', (event) => { event.preventDefault(); this.authorize(); });
    byId('mark-all-read').addEventListener('click', () => this.markAllRead());
    for (const name of TABS) {
      byId(`tab-${name}`).addEventListener('click', () => this.showTab(name));
    }
    byId('copy-openid').addEventListener('click', () => this.copyOpenID());
    byId('tab-devices').parentElement.addEventListener('keydown', (event) => this.tabKeys(event));
    byId('answer').addEventListener('click', () => this.calling && this.calling.answer());
    byId('reject').addEventListener('click', () => this.calling && this.calling.reject());
    byId('hang-up').addEventListener('click', () => this.calling && this.calling.hangUp());
    byId('mute').addEventListener('click', () => this.calling && this.calling.toggleMute());
    byId('camera').addEventListener('click', () => this.calling && this.calling.toggleCamera());
    byId('custom-command').addEventListener('click', () => this.calling && this.calling.sendCommand());
    byId('confirm-command').addEventListener('click', () => this.calling && this.calling.confirmCommand());
    byId('cancel-command').addEventListener('click', () => this.calling && this.calling.cancelCommand());
    byId('close-call').addEventListener('click', () => this.calling && this.calling.dismiss());
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && this.me) this.refreshDevices();
    });
    byId('offline-retry').addEventListener('click', () => this.start());
    window.addEventListener('online', () => { if (document.body.dataset.view === 'offline') this.start(); });
  }

  // MARK: Sign-in

  async start() {
    clearTimeout(this.offlineTimer);
    // Camera and microphone exist only in a secure context (https, or this computer): say so before a call does.
    const insecure = !window.isSecureContext || !navigator.mediaDevices;
    document.body.dataset.secure = insecure ? 'no' : 'yes';
    byId('insecure-note').hidden = !insecure;
    byId('account-insecure').hidden = !insecure;
    this.push.register();
    this.takeNotificationParameters();
    const code = takeCodeFromLocation();
    let linked = null;
    if (code) {
      try {
        linked = (await new Api(null).exchangeSignInCode(code)).token;
        saveToken(linked);
      } catch (error) {
        const used = error instanceof ApiError && error.status === 401;
        this.showSignIn(used ? 'This sign-in link was used already or has expired. Ask for a new one.'
          : `Signing in failed: ${error.message}`);
        return;
      }
    }
    const token = linked || loadToken();
    // This tab keeps the identity it starts with, even if another tab signs in as someone else later.
    if (token) keepForThisPage(token);
    if (!token) {
      this.showSignIn('');
      return;
    }
    await this.signInWith(token);
  }

  async signInWith(token) {
    this.token = token;
    this.api = new Api(token);
    try {
      this.me = await this.api.me();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        clearToken(token);
        this.showSignIn('Your session has ended. Sign in again.');
      } else if (error instanceof ApiError && error.status === 0) {
        this.showOffline();
      } else {
        this.showSignIn(`Signing in failed: ${error.message}`);
      }
      return;
    }
    this.showMain();
    this.push.start(this.api, token);
  }

  /** The server cannot be reached at start (the app itself came from the service worker's cache). */
  showOffline() {
    this.setView('offline');
    clearTimeout(this.offlineTimer);
    this.offlineTimer = setTimeout(() => {
      if (document.body.dataset.view === 'offline') this.start();
    }, OFFLINE_RETRY_MS);
  }

  // MARK: Opened from a notification

  /** `?answer=<call id>` (Answer in a ringing notification) and `?tab=…` (other notifications), taken from the
   *  address and removed from it. */
  takeNotificationParameters() {
    const params = new URLSearchParams(location.search);
    const answer = params.get('answer');
    const tab = params.get('tab');
    if (!answer && !tab) return;
    if (answer) this.pendingAnswer = { callId: answer };
    if (tab) this.pendingTab = tab;
    params.delete('answer');
    params.delete('tab');
    const query = params.toString();
    history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash);
  }

  /** Answer was tapped in a notification while this page is open. */
  answerFromNotification(callId) {
    this.pendingAnswer = { callId };
    this.tryPendingAnswer();
  }

  showFromNotification(url) {
    const tab = new URL(url, location.href).searchParams.get('tab');
    if (tab && this.me) this.showTab(tab);
  }

  /** Answers the pending call once it rings here (the server rings a page that connects while the call rings);
   *  when it has not rung ANSWER_WAIT_MS after connecting, says why from the history. */
  tryPendingAnswer() {
    const pending = this.pendingAnswer;
    if (!pending || !this.calling || !this.signaling || !this.signaling.online) return;
    document.body.dataset.pendingAnswer = pending.callId;
    if (this.calling.answerWhenRinging(pending.callId)) {
      this.pendingAnswer = null;
      return;
    }
    clearTimeout(this.pendingTimer);
    this.pendingTimer = setTimeout(() => this.pendingAnswerExpired(pending), ANSWER_WAIT_MS);
  }

  async pendingAnswerExpired(pending) {
    if (this.pendingAnswer !== pending) return;
    this.pendingAnswer = null;
    this.calling.answerWhenRinging(null);
    let call = null;
    try {
      call = (await this.api.calls()).items.find((item) => item.id === pending.callId) || null;
    } catch (error) {
      call = null;
    }
    const name = call ? this.names.get(call.sn) || call.sn : 'The device';
    const texts = {
      active: 'This call was answered on another device.',
      completed: 'This call was answered on another device.',
      rejected: 'This call was declined.',
      busy: 'This call was declined.',
      cancelled: `${name} stopped calling.`,
      timeout: `Missed call from ${name}.`,
      peer_gone: `Missed call from ${name}: it lost its connection.`,
    };
    const text = (call && texts[call.outcome]) || 'This call has already ended.';
    this.calling.showEnded({ id: pending.callId, sn: call ? call.sn : '', name, kind: call ? call.kind : 'video' },
      'already_ended', text);
  }

  async showSignIn(message) {
    this.setView('signin');
    setMessage(byId('signin-message'), message);
    const form = byId('dev-signin');
    const link = byId('link-signin');
    try {
      const users = await new Api(null).devUsers();
      const names = [...new Set(users.items.map((user) => user.name).filter(Boolean))].sort();
      byId('dev-names').replaceChildren(...names.map((name) => el('option', { value: name })));
      form.hidden = false;
      link.hidden = true;
      byId('dev-name').focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 0) {
        this.showOffline();
        return;
      }
      form.hidden = true;
      link.hidden = false;
      if (!(error instanceof ApiError && error.status === 404)) {
        setMessage(byId('signin-message'), message || error.message);
      }
    }
  }

  async devSignIn() {
    const input = byId('dev-name');
    const name = input.value.trim();
    if (!name) {
      setMessage(byId('signin-message'), 'Enter a name.');
      return;
    }
    const button = byId('dev-signin').querySelector('button');
    button.disabled = true;
    try {
      const session = await new Api(null).devSignIn(name);
      saveToken(session.token);
      await this.signInWith(session.token);
    } catch (error) {
      setMessage(byId('signin-message'), `Signing in failed: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  /** Leaves the signed-in view; `everywhere` (the Sign out button) also ends the session on the server, so the
   *  token stops working for anyone who has it — after this browser's push subscription was deleted with it. */
  signOut(message, { everywhere = false } = {}) {
    const api = this.api;
    const unsubscribed = this.push.stop();
    if (everywhere && api) unsubscribed.finally(() => api.signOut().catch(() => {}));
    if (this.signaling) this.signaling.stop();
    this.signaling = null;
    if (this.calling) {
      this.calling.signalingLost();
      this.calling.dismiss();
    }
    this.calling = null;
    clearInterval(this.deviceTimer);
    // The next sign-in (perhaps someone else's) starts from empty lists.
    this.devices = [];
    this.notices = [];
    this.calls = [];
    this.noticesShown = false;
    this.callsShown = false;
    clearToken(this.token);
    this.token = null;
    this.api = null;
    this.me = null;
    this.showSignIn(message);
  }

  setView(view) {
    document.body.dataset.view = view;
    byId('view-signin').hidden = view !== 'signin';
    byId('view-offline').hidden = view !== 'offline';
    byId('view-main').hidden = view !== 'main';
  }

  // MARK: Signed in

  showMain() {
    this.setView('main');
    byId('user-name').textContent = this.me.user.name || this.me.user.openId;
    byId('account-name').textContent = this.me.user.name || '—';
    byId('account-openid').textContent = this.me.user.openId;
    byId('account-expiry').textContent = new Date(this.me.sessionExpiresAt).toLocaleString();
    const tab = TABS.includes(this.pendingTab) ? this.pendingTab : 'devices';
    this.pendingTab = null;
    this.showTab(tab);
    this.connect();
    this.devicesLoaded = this.refreshDevices();
    this.refreshNotices();
    this.refreshCalls();
    clearInterval(this.deviceTimer);
    this.deviceTimer = setInterval(() => {
      if (!document.hidden && byId('panel-devices').hidden === false) this.refreshDevices();
    }, DEVICE_REFRESH_MS);
  }

  connect() {
    const signaling = new Signaling(this.token);
    this.signaling = signaling;
    this.calling = new CallController(signaling, this.callView, {
      commandLabel: COMMAND_LABEL,
      iceTransportPolicy: ICE_TRANSPORT_POLICY,
      onEnded: () => setTimeout(() => this.refreshCalls(), 300),
      onTaken: (call) => PushSetup.closeNotifications(call.id),
      onAutoAnswer: (callId) => {
        if (this.pendingAnswer && this.pendingAnswer.callId === callId) this.pendingAnswer = null;
        clearTimeout(this.pendingTimer);
      },
    });
    signaling.addEventListener('state', (event) => this.signalState(event.detail));
    signaling.addEventListener('welcome', () => {
      this.refreshDevices();
      this.tryPendingAnswer();
    });
    signaling.addEventListener('message', (event) => this.onMessage(event.detail));
    signaling.addEventListener('closed', () => this.calling && this.calling.signalingLost());
    signaling.addEventListener('unauthorized', () => this.signOut('Your session has ended. Sign in again.'));
    signaling.start();
  }

  signalState(state) {
    document.body.dataset.signal = state;
    byId('signal-state').textContent = { online: 'Online', connecting: 'Connecting…', offline: 'Offline' }[state];
    const banner = byId('banner');
    clearInterval(this.bannerTimer);
    if (state === 'online') {
      banner.hidden = true;
      return;
    }
    if (state === 'offline' && this.signaling) {
      const update = () => {
        const seconds = Math.max(0, Math.ceil((this.signaling.retryAt - Date.now()) / 1000));
        banner.textContent = `Connection to the server lost. Calls cannot reach you. Reconnecting in ${seconds} s…`;
      };
      update();
      this.bannerTimer = setInterval(update, 1000);
      banner.hidden = false;
    }
  }

  onMessage(message) {
    if (this.calling && this.calling.handle(message)) return;
    if (message.type === 'notice') this.onNotice(message);
  }

  showTab(name) {
    for (const tab of TABS) {
      const selected = tab === name;
      const button = byId(`tab-${tab}`);
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      byId(`panel-${tab}`).hidden = !selected;
    }
    document.body.dataset.tab = name;
    if (name === 'devices') this.refreshDevices();
    if (name === 'history') this.refreshCalls();
    if (name === 'notices') this.refreshNotices();
  }

  tabKeys(event) {
    const order = TABS;
    const current = order.indexOf(document.body.dataset.tab);
    let next = null;
    if (event.key === 'ArrowRight') next = (current + 1) % order.length;
    if (event.key === 'ArrowLeft') next = (current + order.length - 1) % order.length;
    if (next === null) return;
    event.preventDefault();
    this.showTab(order[next]);
    byId(`tab-${order[next]}`).focus();
  }

  /** Copies the openId (the Clipboard API needs a secure context; elsewhere the text is selected to copy). */
  async copyOpenID() {
    const openId = this.me ? this.me.user.openId : '';
    try {
      await navigator.clipboard.writeText(openId);
      toast('Your openId is copied.');
    } catch (error) {
      const range = document.createRange();
      range.selectNodeContents(byId('account-openid'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      toast('Your openId is selected: copy it with your browser.');
    }
  }

  /** sn → device name, from the authorizations. */
  get names() {
    return new Map(this.devices.map((device) => [device.sn, device.deviceName || device.sn]));
  }

  // MARK: Devices

  /** The items of a list the API answers (`{items}`), or null when it failed (an expired session signs out). */
  async fetchItems(request) {
    if (!this.api) return null;
    try {
      return (await request(this.api)).items;
    } catch (error) {
      this.apiFailed(error);
      return null;
    }
  }

  async refreshDevices() {
    const devices = await this.fetchItems((api) => api.authorizations());
    if (!devices) return;
    this.devices = devices;
    renderDevices(byId('device-list'), byId('devices-empty'), this.devices, {
      call: (device) => this.callDevice(device),
      revoke: (device) => this.revoke(device),
    });
    // A device's name may have arrived or changed: the notices and the history name devices too.
    if (this.noticesShown) this.renderNotices();
    if (this.callsShown) this.renderCalls();
    document.body.dataset.devicesLoaded = String(Date.now());
  }

  async authorize() {
    const sn = byId('auth-sn').value.trim();
    const ticket = byId('auth-ticket').value.trim();
    const message = byId('authorize-message');
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(sn)) {
      setMessage(message, 'The SN is 1 to 128 letters, digits, _ or -.');
      return;
    }
    setMessage(message, 'Authorizing…', 'ok');
    try {
      await this.api.authorize(sn, ticket);
    } catch (error) {
      if (this.apiFailed(error)) return;
      const texts = {
        ticketInvalid: 'The ticket is not valid for this SN, or it has expired (tickets last 5 minutes). Ask for a new one.',
        notFound: `There is no device ${sn}.`,
        snBadCharacters: 'The SN may only contain letters, digits, _ and -.',
        snTooLong: 'The SN is longer than 128 characters.',
      };
      setMessage(message, texts[error.code] || `Authorizing failed: ${error.message}`);
      return;
    }
    byId('auth-sn').value = '';
    byId('auth-ticket').value = '';
    await this.refreshDevices();
    setMessage(message, `${this.names.get(sn) || sn} may now call you.`, 'ok');
  }

  async revoke(device) {
    try {
      await this.api.revoke(device.sn);
    } catch (error) {
      if (!this.apiFailed(error)) toast(`Revoking failed: ${error.message}`);
    }
    await this.refreshDevices();
    toast(`${device.deviceName || device.sn} can no longer call you.`);
  }

  callDevice(device) {
    if (!this.calling) return;
    if (!device.online) {
      toast(`${device.deviceName || device.sn} is offline; it can take calls once it connects.`);
      return;
    }
    if (!this.signaling.online) {
      toast('Not connected to the server; try again in a moment.');
      return;
    }
    this.calling.callDevice({ sn: device.sn, name: device.deviceName || device.sn }, 'video');
  }

  // MARK: Notices and history

  async refreshNotices() {
    const notices = await this.fetchItems((api) => api.notices());
    if (!notices) return;
    await this.devicesLoaded;
    this.notices = notices;
    this.renderNotices();
  }

  renderNotices() {
    this.noticesShown = true;
    renderNotices(byId('notice-list'), byId('notices-empty'), this.notices, this.names, {
      read: (notice) => this.markRead(notice),
    });
    const unread = this.notices.filter((notice) => !notice.readAt).length;
    const badge = byId('unread-count');
    badge.textContent = String(unread);
    badge.hidden = unread === 0;
    byId('unread-label').textContent = unread === 1 ? '1 unread notice' : `${unread} unread notices`;
    document.body.dataset.unread = String(unread);
  }

  onNotice(message) {
    if (!this.notices.some((notice) => notice.id === message.id)) {
      this.notices.unshift({ id: message.id, sn: message.sn, kind: message.kind, text: message.text,
        createdAt: message.createdAt, readAt: null });
    }
    this.renderNotices();
    toast(`${this.names.get(message.sn) || message.sn}: ${message.text}`);
  }

  async markRead(notice) {
    try {
      await this.api.markNoticeRead(notice.id);
      notice.readAt = Date.now();
    } catch (error) {
      if (!this.apiFailed(error)) toast(`Could not mark it read: ${error.message}`);
    }
    this.renderNotices();
  }

  async markAllRead() {
    for (const notice of this.notices.filter((item) => !item.readAt)) await this.markRead(notice);
  }

  async refreshCalls() {
    const calls = await this.fetchItems((api) => api.calls());
    if (!calls) return;
    await this.devicesLoaded;
    this.calls = calls;
    this.renderCalls();
  }

  renderCalls() {
    this.callsShown = true;
    renderCalls(byId('call-list'), byId('calls-empty'), this.calls, this.names);
  }

  /** An expired session signs out (true); other errors are the caller's to show (false). */
  apiFailed(error) {
    if (error instanceof ApiError && error.status === 401) {
      this.signOut('Your session has ended. Sign in again.');
      return true;
    }
    return false;
  }
}

const app = new App();
app.start();
