// Calls when the app is closed (docs/webapp.md "Notifications and install", docs/push.md): the service worker,
// the "Ring this phone" card with its states, the push subscription at the server, the install prompt, and what
// the service worker tells the page (Answer tapped in a notification).
//
// <body data-push> mirrors the card's state: unsupported | ios-install | blocked | off | working | on | error.
// <body data-installable> is "yes" while the browser offers to install the app (beforeinstallprompt).

import { byId } from './ui.js';

/** How long the browser's push service may take to hand out a subscription (ms). */
const SUBSCRIBE_TIMEOUT_MS = 20000;
/** Set while this browser should ring for the signed-in user (the person turned it on). */
const CHOICE_KEY = 'ringlet.push';

const TEXTS = {
  unsupported: 'This browser cannot ring you when Ringlet is closed. Keep Ringlet open, or use a browser with '
    + 'push notifications.',
  'ios-install': 'On iPhone and iPad, add Ringlet to your Home Screen first (Share, then Add to Home Screen) and '
    + 'open it from there; then turn on call notifications.',
  blocked: 'Notifications are blocked: allow them for this site in your browser\'s settings (site settings, '
    + 'Notifications), then come back here.',
  off: 'Calls ring only while Ringlet is open. Turn on notifications so that calls reach this phone when it is '
    + 'closed.',
  working: 'Turning on call notifications…',
  on: 'Calls will ring this phone, even when Ringlet is closed.',
};

/** The bytes of a base64url text (the server's VAPID key). */
function base64URLBytes(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameBytes(buffer, bytes) {
  if (!buffer) return false;
  const a = new Uint8Array(buffer);
  return a.length === bytes.length && a.every((value, index) => value === bytes[index]);
}

function withTimeout(promise, ms, message) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms))]);
}

export class PushSetup {
  /**
   * @param handlers {onAnswer(callId): Answer was tapped in a notification; onShow(url): another notification
   *   was tapped}
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.api = null;
    this.token = null;
    this.registration = null;
    this.installPrompt = null;
    this.state = 'off';
    this.error = '';
    this.supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
    byId('push-toggle').addEventListener('click', () => this.toggle());
    byId('install-app').addEventListener('click', () => this.install());
    window.addEventListener('beforeinstallprompt', (event) => {
      event.preventDefault();
      this.installPrompt = event;
      this.renderInstall();
    });
    window.addEventListener('appinstalled', () => {
      this.installPrompt = null;
      this.renderInstall();
    });
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.addEventListener('message', (event) => this.onWorkerMessage(event.data || {}));
      navigator.serviceWorker.startMessages();
    }
  }

  /** Registers the service worker (at start, signed in or not: it caches the app shell). */
  async register() {
    if (!('serviceWorker' in navigator)) return null;
    try {
      this.registration = await navigator.serviceWorker.register('sw.js', { scope: './' });
      document.body.dataset.serviceWorker = 'registered';
    } catch (error) {
      document.body.dataset.serviceWorker = 'failed';
    }
    return this.registration;
  }

  /** Signed in: hands the token to the service worker (Decline needs it) and brings the card up to date; a
   *  browser that rang for this user before subscribes again by itself. */
  async start(api, token) {
    this.api = api;
    this.token = token;
    this.tellWorker(token);
    await this.refresh();
  }

  /** Signing out: this browser stops ringing for the user (the server forgets the subscription). */
  async stop() {
    const api = this.api;
    this.api = null;
    this.tellWorker(null);
    localStorage.removeItem(CHOICE_KEY);
    const subscription = await this.subscription();
    if (subscription) {
      if (api) await api.deletePushSubscription(subscription.endpoint).catch(() => undefined);
      await subscription.unsubscribe().catch(() => undefined);
    }
    this.setState('off');
  }

  async tellWorker(token) {
    if (!('serviceWorker' in navigator)) return;
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.active) registration.active.postMessage({ type: 'session', token });
    } catch (error) {
      // No service worker: nothing to tell.
    }
  }

  async subscription() {
    if (!this.supported) return null;
    const registration = this.registration || (await navigator.serviceWorker.getRegistration());
    if (!registration) return null;
    return registration.pushManager.getSubscription().catch(() => null);
  }

  static isIOSBrowserTab() {
    const ios = /iPad|iPhone|iPod/.test(navigator.userAgent)
      || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
    return ios && !window.matchMedia('(display-mode: standalone)').matches && !navigator.standalone;
  }

  /** Works out the state from the browser and, when it should ring, makes sure the server has the subscription. */
  async refresh() {
    if (!this.supported) {
      this.setState(PushSetup.isIOSBrowserTab() ? 'ios-install' : 'unsupported');
      return;
    }
    if (Notification.permission === 'denied') {
      this.setState('blocked');
      return;
    }
    const subscription = await this.subscription();
    const chosen = localStorage.getItem(CHOICE_KEY) === 'on';
    if (Notification.permission === 'granted' && (subscription || chosen)) {
      await this.subscribe({ quiet: true });
      return;
    }
    this.setState('off');
  }

  /** The card's button: turn on (asks for permission: this runs on the click) or off. */
  async toggle() {
    if (this.state === 'on') {
      await this.turnOff();
      return;
    }
    if (this.state === 'working') return;
    this.setState('working');
    let permission = Notification.permission;
    if (permission === 'default') {
      try {
        permission = await Notification.requestPermission();
      } catch (error) {
        permission = Notification.permission;
      }
    }
    if (permission !== 'granted') {
      this.setState(permission === 'denied' ? 'blocked' : 'off');
      return;
    }
    await this.subscribe({ quiet: false });
  }

  /** Subscribes with the server's key (a subscription for another key is replaced) and hands it to the server. */
  async subscribe({ quiet }) {
    if (!this.api) return;
    if (!quiet) this.setState('working');
    try {
      const registration = this.registration || (await navigator.serviceWorker.ready);
      const { publicKey } = await this.api.vapidPublicKey();
      const key = base64URLBytes(publicKey);
      let subscription = await registration.pushManager.getSubscription();
      if (subscription && !sameBytes(subscription.options && subscription.options.applicationServerKey, key)) {
        await subscription.unsubscribe();
        subscription = null;
      }
      if (!subscription) {
        subscription = await withTimeout(
          registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
          SUBSCRIBE_TIMEOUT_MS, 'the browser\'s push service did not answer');
      }
      await this.api.addPushSubscription(subscription.toJSON());
      localStorage.setItem(CHOICE_KEY, 'on');
      this.setState('on');
    } catch (error) {
      this.error = error && error.message ? error.message : String(error);
      this.setState('error');
    }
  }

  async turnOff() {
    this.setState('working');
    localStorage.removeItem(CHOICE_KEY);
    const subscription = await this.subscription();
    if (subscription) {
      if (this.api) await this.api.deletePushSubscription(subscription.endpoint).catch(() => undefined);
      await subscription.unsubscribe().catch(() => undefined);
    }
    this.setState('off');
  }

  setState(state) {
    this.state = state;
    document.body.dataset.push = state;
    const text = state === 'error' ? `Could not turn on call notifications: ${this.error}.` : TEXTS[state];
    byId('push-status').textContent = text;
    const button = byId('push-toggle');
    button.hidden = ['unsupported', 'ios-install', 'blocked'].includes(state);
    button.disabled = state === 'working';
    button.textContent = state === 'on' ? 'Stop ringing this phone' : state === 'error' ? 'Try again' : 'Ring this phone';
    byId('push-card').classList.toggle('on', state === 'on');
  }

  renderInstall() {
    const installable = Boolean(this.installPrompt);
    byId('install-app').hidden = !installable;
    document.body.dataset.installable = installable ? 'yes' : 'no';
  }

  /** The install button: the browser's own install prompt. */
  async install() {
    const prompt = this.installPrompt;
    if (!prompt) return;
    this.installPrompt = null;
    this.renderInstall();
    await prompt.prompt();
  }

  onWorkerMessage(message) {
    if (message.type === 'answer' && message.callId) this.handlers.onAnswer(message.callId);
    else if (message.type === 'show' && message.url) this.handlers.onShow(message.url);
  }

  /** Closes this call's notifications (the page took the call over, or it ended here). */
  static async closeNotifications(callId) {
    if (!callId || !('serviceWorker' in navigator)) return;
    try {
      const registration = await navigator.serviceWorker.getRegistration();
      if (!registration) return;
      for (const notification of await registration.getNotifications({ tag: callId })) notification.close();
    } catch (error) {
      // Nothing to close.
    }
  }
}
