// The three lists of the signed-in view: authorized devices, notices, call history.

import { el, formatDuration, formatWhen } from './ui.js';

/**
 * Authorized devices (revoked ones are not shown). Each row: name, SN, online state, Call and Revoke; Revoke asks
 * once more in the row itself.
 * @param handlers {call(device), revoke(device)}
 */
export function renderDevices(list, empty, devices, handlers) {
  const shown = devices.filter((device) => device.status === 'authorized');
  list.replaceChildren(...shown.map((device) => deviceRow(device, handlers)));
  empty.hidden = shown.length > 0;
}

function deviceRow(device, handlers) {
  const nameId = `device-name-${device.sn}`;
  const row = el('li', { class: 'card device', dataset: { sn: device.sn, online: String(Boolean(device.online)) } },
    el('span', { class: 'name', id: nameId }, device.deviceName || device.sn),
    el('span', { class: 'state' }, device.online ? 'Online' : 'Offline'),
    el('span', { class: 'sn' }, `SN ${device.sn}`));
  const actions = el('div', { class: 'actions' });
  const showActions = () => actions.replaceChildren(
    el('button', { type: 'button', class: 'primary call-device', 'aria-describedby': nameId, onclick: () => handlers.call(device) },
      'Call'),
    el('button', { type: 'button', class: 'danger-text', 'aria-describedby': nameId, onclick: askRevoke }, 'Revoke'));
  const askRevoke = () => actions.replaceChildren(
    el('p', { class: 'confirm' }, `Stop ${device.deviceName || device.sn} from calling you? Authorizing it again needs a new ticket.`),
    el('button', { type: 'button', class: 'danger-text', onclick: () => handlers.revoke(device) }, 'Yes, revoke'),
    el('button', { type: 'button', onclick: showActions }, 'Keep'));
  showActions();
  row.append(actions);
  return row;
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
