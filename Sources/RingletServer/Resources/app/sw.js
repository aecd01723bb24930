// Ringlet's service worker (docs/webapp.md "Installable app", docs/push.md "The service worker").
//
// - App shell: the app's files are cached at install and served from the cache at once, refreshed from the
//   network behind the scenes (stale-while-revalidate), so the app opens instantly and offline; the API (/v1/)
//   and the signaling WebSocket are never cached.
// - Push: every push shows a notification (iOS revokes subscriptions whose pushes show none). A ring is
//   "Front door is calling" (tag = call id, requireInteraction, vibration, renotify, Answer and Decline where the
//   platform has actions); a ring that expired or whose call already ended says so instead; a ring_stop replaces
//   the ringing notification (missed call, answered or declined elsewhere); notices and authorization changes
//   are plain notifications.
// - Clicks: Answer (or a tap on the ringing notification) opens or focuses the app with ?answer=<call id>; the
//   app answers once the call rings there. Decline posts /v1/me/calls/<id>/reject with the session token the page
//   handed over (a service worker has no WebSocket).
// A classic script (no modules): every browser that has push can run it.

const SHELL_CACHE = 'ringlet-shell-v2';
const SHELL = [
  './', 'index.html', 'app.css', 'icon.svg', 'manifest.webmanifest', 'icons/icon-192.png', 'icons/icon-512.png',
  'icons/badge-96.png', 'icons/apple-touch-icon.png', 'js/main.js', 'js/api.js', 'js/call.js', 'js/callview.js',
  'js/lists.js', 'js/media.js', 'js/notifications.js', 'js/ringtone.js', 'js/session.js', 'js/signaling.js',
  'js/ui.js',
];
/** How many ended call ids are remembered (a late ring of an ended call then says so). */
const ENDED_KEPT = 50;
const VIBRATION = [600, 300, 600, 300, 600, 300, 600];

// MARK: App shell

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== SHELL_CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.href.startsWith(self.registration.scope)) return;
  event.respondWith(fromShell(event, request, url));
});

/** The cached file (a page of the app is index.html whatever its query), refreshed in the background; the
 *  network when it is not cached. */
async function fromShell(event, request, url) {
  const cache = await caches.open(SHELL_CACHE);
  const key = request.mode === 'navigate' ? new URL('index.html', self.registration.scope).href : url.origin + url.pathname;
  const cached = await cache.match(key);
  const refresh = fetch(request.mode === 'navigate' ? key : request).then((response) => {
    if (response.ok) return cache.put(key, response.clone()).then(() => response);
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

// MARK: Small key-value store (IndexedDB): the session token, ended calls

function database() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('ringlet', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('kv');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function kv(mode, action) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const request = action(db.transaction('kv', mode).objectStore('kv'));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

const kvGet = (key) => kv('readonly', (store) => store.get(key));
const kvSet = (key, value) => kv('readwrite', (store) => store.put(value, key));
const kvDelete = (key) => kv('readwrite', (store) => store.delete(key));

async function rememberEnded(callId, reason) {
  const ended = (await kvGet('ended')) || [];
  const kept = ended.filter((item) => item.callId !== callId);
  kept.push({ callId, reason });
  await kvSet('ended', kept.slice(-ENDED_KEPT));
}

async function endedReason(callId) {
  const ended = (await kvGet('ended')) || [];
  const found = ended.find((item) => item.callId === callId);
  return found ? found.reason : null;
}

// The page hands over its session token (and null on sign-out): Decline needs it.
self.addEventListener('message', (event) => {
  const message = event.data || {};
  if (message.type === 'session') {
    event.waitUntil(message.token ? kvSet('token', message.token) : kvDelete('token'));
  }
});

// MARK: Push

self.addEventListener('push', (event) => {
  let message = null;
  try {
    message = event.data ? event.data.json() : null;
  } catch (error) {
    message = null;
  }
  event.waitUntil(onPush(message));
});

function show(title, options) {
  return self.registration.showNotification(title, {
    icon: 'icons/icon-192.png', badge: 'icons/badge-96.png', lang: 'en', ...options,
  });
}

async function onPush(message) {
  if (!message || typeof message.type !== 'string') {
    return show('Ringlet', { body: 'Open Ringlet to see what happened.', tag: 'ringlet', data: { url: './' } });
  }
  const name = message.deviceName || message.sn || 'A device';
  switch (message.type) {
    case 'ring': return onRing(message, name);
    case 'ring_stop': return onRingStop(message, name);
    case 'notice':
      return show(name, {
        body: message.text || '', tag: `notice-${message.noticeId || ''}`, timestamp: message.sentAt,
        data: { type: 'notice', url: './?tab=notices' },
      });
    case 'authorization':
      return show(message.status === 'revoked' ? `${name} can no longer call you` : `${name} may now call you`, {
        tag: `authorization-${message.sn}`, timestamp: message.sentAt, silent: true,
        data: { type: 'authorization', url: './?tab=devices' },
      });
    default:
      return show('Ringlet', { body: 'Open Ringlet to see what happened.', tag: 'ringlet', data: { url: './' } });
  }
}

async function onRing(message, name) {
  const ended = await endedReason(message.callId);
  const expired = typeof message.expiresAt === 'number' && Date.now() >= message.expiresAt;
  if (ended || expired) {
    return show(ended === 'answer' ? `${name}: call answered` : `Missed call from ${name}`, {
      body: ended === 'answer' ? 'It was answered on another device.' : 'The call had ended before it reached you.',
      tag: message.callId, timestamp: message.sentAt, silent: true,
      data: { type: 'ended', callId: message.callId, url: './?tab=history' },
    });
  }
  return show(`${name} is calling`, {
    body: message.kind === 'audio' ? 'Incoming voice call' : 'Incoming video call',
    tag: message.callId, renotify: true, requireInteraction: true, vibrate: VIBRATION, timestamp: message.sentAt,
    actions: [{ action: 'answer', title: 'Answer' }, { action: 'decline', title: 'Decline' }],
    data: {
      type: 'ring', callId: message.callId, sn: message.sn, deviceName: name, expiresAt: message.expiresAt,
      url: `./?answer=${encodeURIComponent(message.callId)}`,
    },
  });
}

async function onRingStop(message, name) {
  await rememberEnded(message.callId, message.reason);
  const texts = {
    answer: [`${name}: call answered`, 'Answered on another device.'],
    reject: [`${name}: call declined`, 'The call was declined.'],
    busy: [`${name}: call declined`, 'The call was declined.'],
    cancel: [`Missed call from ${name}`, `${name} stopped calling.`],
    timeout: [`Missed call from ${name}`, 'Nobody answered.'],
    peer_gone: [`Missed call from ${name}`, `${name} lost its connection.`],
  };
  const [title, body] = texts[message.reason] || texts.timeout;
  const missed = !['answer', 'reject', 'busy'].includes(message.reason);
  await show(title, {
    body, tag: message.callId, renotify: false, silent: !missed, timestamp: message.sentAt,
    data: { type: 'ended', callId: message.callId, reason: message.reason, url: './?tab=history' },
  });
  // Answered here: the call is on screen in a page of the app, so the notice is closed again at once.
  if (message.reason === 'answer' && (await visibleWindow())) {
    for (const notification of await self.registration.getNotifications({ tag: message.callId })) notification.close();
  }
  return undefined;
}

async function visibleWindow() {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return windows.find((client) => client.visibilityState === 'visible' && client.url.startsWith(self.registration.scope));
}

// MARK: Clicks

self.addEventListener('notificationclick', (event) => {
  const done = onNotificationClick(event.notification, event.action);
  // A NotificationEvent made by a script (not by the platform) may not extend its lifetime; the handler still runs.
  try {
    event.waitUntil(done);
  } catch (error) {
    done.catch(() => undefined);
  }
});

async function onNotificationClick(notification, action) {
  const data = notification.data || {};
  notification.close();
  if (data.type === 'ring') {
    if (action === 'decline') return decline(data);
    return openApp(data.url, { type: 'answer', callId: data.callId });
  }
  return openApp(data.url || './', { type: 'show', url: data.url || './' });
}

/** Focuses an open window of the app and tells it `message`, or opens the app at `url`. */
async function openApp(url, message) {
  const target = new URL(url, self.registration.scope).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const client = windows.find((candidate) => candidate.url.startsWith(self.registration.scope));
  if (client) {
    client.postMessage(message);
    try {
      await client.focus();
    } catch (error) {
      // Focusing needs the click's permission; the message is enough for the page to act.
    }
    return client;
  }
  return self.clients.openWindow(target);
}

/** Decline: the call is rejected over HTTP; a failure is said in a notification. */
async function decline(data) {
  const token = await kvGet('token');
  const subscription = await self.registration.pushManager.getSubscription().catch(() => null);
  let status = 0;
  try {
    const response = await fetch(`/v1/me/calls/${encodeURIComponent(data.callId)}/reject`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(subscription ? { endpoint: subscription.endpoint } : {}),
    });
    status = response.status;
  } catch (error) {
    status = 0;
  }
  const name = data.deviceName || data.sn || 'The device';
  if (status === 204) return rememberEnded(data.callId, 'reject');
  if (status === 409) {
    return show(`${name}: the call had already ended`, { tag: data.callId, silent: true, data: { url: './?tab=history' } });
  }
  if (status === 401) {
    return show('Sign in to Ringlet again', {
      body: `The call from ${name} could not be declined: your session has ended.`, tag: data.callId,
      data: { url: './' },
    });
  }
  return show(`Could not decline the call from ${name}`, {
    body: 'The server cannot be reached. Open Ringlet to answer or decline.', tag: data.callId,
    data: { type: 'ring', callId: data.callId, sn: data.sn, deviceName: name, url: data.url },
  });
}
