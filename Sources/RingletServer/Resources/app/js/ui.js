// Small DOM and formatting helpers shared by the views.

/** `document.getElementById`, throwing when the page lacks the element (a bug, not a user error). */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element;
}

/** Makes an element: el('button', {type: 'button', class: 'x', dataset: {sn}}, 'text', child…). */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key === 'class') element.className = value;
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** m:ss (or h:mm:ss) of a duration in milliseconds. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** A short local date and time: "14:05" today, else "3 Dec, 14:05". */
export function formatWhen(ms) {
  const date = new Date(ms);
  const now = new Date();
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === now.toDateString()) return time;
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

/** Shows a short message at the bottom of the screen for a few seconds. */
export function toast(text, ms = 5000) {
  const box = byId('toast');
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, ms);
}

/** Sets (or clears, with an empty text) a status line, marked as an error or success. */
export function setMessage(element, text, kind = 'error') {
  element.textContent = text || '';
  element.classList.toggle('error', Boolean(text) && kind === 'error');
  element.classList.toggle('ok', Boolean(text) && kind === 'ok');
}
