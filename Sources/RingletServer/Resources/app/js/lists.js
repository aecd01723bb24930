// The three lists of the signed-in view: authorized devices, notices, call history.

import { el, formatDuration, formatWhen } from './ui.js';

/**
 * Authorized devices (revoked ones are not shown). Each row: name, SN, online state, Call and Revoke; Revoke asks
 * once more in the row itself. An offline device's Call is disabled, with the reason under it.
 *
 * Rows are kept and updated in place (keyed by SN), never rebuilt, so that the periodic refresh does not replace a
 * button under the person's finger (a click between the press and the release would be lost) nor close a Revoke
 * question.
 * @param handlers {call(device), revoke(device)}
 */
export function renderDevices(list, empty, devices, handlers) {
  const shown = devices.filter((device) => device.status === 'authorized');
  const existing = new Map([...list.children].map((row) => [row.dataset.sn, row]));
  const rows = shown.map((device) => {
    const row = existing.get(device.sn) || deviceRow(device.sn, handlers);
    row.device = device;
    updateDeviceRow(row, device);
    return row;
  });
  // Only rows that moved or are new are (re)inserted; a row already in place is left alone.
  rows.forEach((row, index) => {
    if (list.children[index] !== row) list.insertBefore(row, list.children[index] || null);
  });
  while (list.children.length > rows.length) list.lastElementChild.remove();
  empty.hidden = shown.length > 0;
}

/** Makes the row of `sn`; its content follows `row.device` (see updateDeviceRow). */
function deviceRow(sn, handlers) {
  const nameId = `device-name-${sn}`;
  const reasonId = `device-reason-${sn}`;
  const row = el('li', { class: 'card device', dataset: { sn } },
    el('span', { class: 'name', id: nameId }),
    el('span', { class: 'state' }),
    el('span', { class: 'sn' }, `SN ${sn}`),
    el('p', { class: 'offline-reason', id: reasonId, hidden: true }));
  const actions = el('div', { class: 'actions' });
  const showActions = () => {
    row.confirming = false;
    actions.replaceChildren(
      el('button', { type: 'button', class: 'primary call-device', 'aria-describedby': `${nameId} ${reasonId}`,
        onclick: () => handlers.call(row.device) }, 'Call'),
      el('button', { type: 'button', class: 'danger-text', 'aria-describedby': nameId, onclick: askRevoke }, 'Revoke'));
    updateDeviceRow(row, row.device);
  };
  const askRevoke = () => {
    row.confirming = true;
    const name = row.device.deviceName || row.device.sn;
    actions.replaceChildren(
      el('p', { class: 'confirm' }, `Stop ${name} from calling you? Authorizing it again needs a new ticket.`),
      el('button', { type: 'button', class: 'danger-text', onclick: () => handlers.revoke(row.device) }, 'Yes, revoke'),
      el('button', { type: 'button', onclick: showActions }, 'Keep'));
  };
  row.append(actions);
  row.showActions = showActions;
  return row;
}

function updateDeviceRow(row, device) {
  if (!device) return;
  const name = device.deviceName || device.sn;
  const online = Boolean(device.online);
  setText(row.querySelector('.name'), name);
  setText(row.querySelector('.state'), online ? 'Online' : 'Offline');
  row.dataset.online = String(online);
  const reason = row.querySelector('.offline-reason');
  reason.hidden = online;
  setText(reason, online ? '' : `${name} is offline, so it cannot take calls. It can once it connects again.`);
  if (!row.confirming && !row.querySelector('.call-device')) row.showActions();
  const call = row.querySelector('.call-device');
  if (call && call.disabled === online) call.disabled = !online;
}

/** Sets a text only when it changed (no DOM mutation otherwise). */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/**
 * Notices, newest first; unread ones marked. Opening one (or Mark read) marks it read.
 * @param names Map sn → device name
 * @param handlers {read(notice)}
 */
export function renderNotices(list, empty, notices, names, handlers) {
  list.replaceChildren(...notices.map((notice) => {
    const unread = !notice.readAt;
    return el('li', { class: 'item notice', dataset: { id: notice.id, unread: String(unread) } },
      el('span', { class: 'title' }, names.get(notice.sn) || notice.sn),
      el('span', { class: 'when' }, formatWhen(notice.createdAt)),
      el('span', { class: 'detail text' }, notice.text),
      unread ? el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'quiet', onclick: () => handlers.read(notice) }, 'Mark read')) : null);
  }));
  empty.hidden = notices.length > 0;
}

/** What a call's outcome means for the person, and whether it is a bad one (shown in red). */
function outcomeText(call) {
  switch (call.outcome) {
    case 'completed': return [`Answered · ${formatDuration(call.durationMs)}`, false];
    case 'active': return ['In progress', false];
    case 'ringing': return [call.direction === 'device_to_user' ? 'Ringing' : 'Calling', false];
    case 'rejected': return [call.direction === 'device_to_user' ? 'Rejected' : 'Declined', true];
    case 'busy': return ['Busy', true];
    case 'timeout': return [call.direction === 'device_to_user' ? 'Missed' : 'No answer', true];
    case 'cancelled': return ['Cancelled', true];
    case 'failed': return [call.direction === 'device_to_user' ? 'Failed' : 'Not reached: offline', true];
    case 'peer_gone': return [call.answeredAt ? `Dropped · ${formatDuration(call.durationMs)}` : 'Dropped', true];
    default: return [call.outcome, true];
  }
}

/** Call history, newest first. @param names Map sn → device name */
export function renderCalls(list, empty, calls, names) {
  list.replaceChildren(...calls.map((call) => {
    const [outcome, bad] = outcomeText(call);
    const direction = call.direction === 'device_to_user' ? 'Incoming' : 'Outgoing';
    return el('li', { class: 'item call-item', dataset: { id: call.id, outcome: call.outcome } },
      el('span', { class: 'title' }, names.get(call.sn) || call.sn),
      el('span', { class: 'when' }, formatWhen(call.startedAt)),
      el('span', { class: 'detail' }, `${direction} ${call.kind === 'audio' ? 'voice' : 'video'} call · `,
        el('span', { class: 'outcome', dataset: { bad: String(bad) } }, outcome)));
  }));
  empty.hidden = calls.length > 0;
}
