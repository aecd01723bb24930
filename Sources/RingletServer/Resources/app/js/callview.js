// The full-screen call view: ringing, calling, in a call, ended. It only shows a call (see call.js); the
// state a test needs is mirrored on <body> as data attributes:
//   data-call-state  idle | ringing | calling | active | ended
//   data-call-id, data-call-direction (incoming | outgoing), data-call-kind (video | audio)
//   data-call-end    why it ended (hang_up, remote_hang_up, rejected, remote_rejected, busy, timeout, cancelled,
//                    remote_cancelled, answered_elsewhere, rejected_elsewhere, missed, peer_gone, dropped,
//                    media_lost, media_failed, media_refused, call_failed, refused_<seed code>, answer_failed)
//   data-call-media  the RTCPeerConnection's connectionState
//   data-call-link   direct | relayed (from the selected candidate pair)
//   data-frames-decoded, data-audio-packets  from getStats
//   data-ringtone    on | off;  data-media-error  refused | missing | busy | insecure | failed (camera/mic)
//   data-microphone, data-camera  on | off (what this page sends)
//   data-last-call-id, data-last-call-end, data-last-call-message  the last call that ended: its id (if it got
//                    one), why, and the message shown; kept after the view closes
//   data-last-ring-id  the last call that rang here (kept too)

import { byId, formatDuration } from './ui.js';

export class CallView {
  constructor() {
    this.root = byId('view-call');
    this.main = byId('view-main');
    this.peer = byId('call-peer');
    this.kind = byId('call-kind');
    this.status = byId('call-status');
    this.timer = byId('call-timer');
    this.link = byId('call-link');
    this.message = byId('call-message');
    this.remoteVideo = byId('remote-video');
    this.localVideo = byId('local-video');
    this.muteButton = byId('mute');
    this.cameraButton = byId('camera');
    this.commandButton = byId('custom-command');
    this.answerButton = byId('answer');
    this.title = document.title;
  }

  /** Mirrors `call` (or no call) on the screen and on <body>'s data attributes. */
  render(call) {
    const body = document.body.dataset;
    if (!call) {
      this.root.hidden = true;
      this.main.inert = false;
      body.callState = 'idle';
      for (const key of ['callId', 'callDirection', 'callKind', 'callEnd', 'callMedia', 'callLink', 'framesDecoded',
        'audioPackets', 'mediaError', 'microphone', 'camera']) delete body[key];
      body.ringtone = 'off';
      this.remoteVideo.srcObject = null;
      this.localVideo.srcObject = null;
      document.title = this.title;
      return;
    }
    const previous = body.callState;
    this.root.hidden = false;
    this.main.inert = true;
    body.callState = call.phase;
    body.callDirection = call.direction;
    body.callKind = call.kind;
    if (call.id) body.callId = call.id;
    setOrDelete(body, 'callEnd', call.endReason);
    setOrDelete(body, 'callMedia', call.mediaState);
    setOrDelete(body, 'callLink', call.link);
    setOrDelete(body, 'mediaError', call.mediaError);
    body.framesDecoded = String(call.framesDecoded || 0);
    body.audioPackets = String(call.audioPackets || 0);
    body.microphone = call.microphone ? 'on' : 'off';
    body.camera = call.camera ? 'on' : 'off';
    body.ringtone = call.ringing ? 'on' : 'off';
    if (call.phase === 'ringing') body.lastRingId = call.id;
    if (call.phase === 'ended') {
      body.lastCallId = call.id || '';
      body.lastCallEnd = call.endReason || '';
      body.lastCallMessage = call.message || '';
    }

    this.peer.textContent = call.name;
    this.kind.textContent = kindText(call);
    this.status.textContent = call.status || '';
    this.message.textContent = call.message || '';
    this.link.textContent = call.link ? (call.link === 'relayed' ? 'Relayed' : 'Direct') : '';
    this.timer.hidden = !call.answeredAt;
    if (call.answeredAt) this.timer.textContent = formatDuration((call.endedAt || Date.now()) - call.answeredAt);
    this.muteButton.setAttribute('aria-pressed', String(!call.microphone));
    this.cameraButton.setAttribute('aria-pressed', String(call.camera));
    this.cameraButton.disabled = !call.hasCamera;
    this.commandButton.disabled = call.phase !== 'active';
    this.answerButton.disabled = Boolean(call.answering);
    document.title = call.phase === 'ringing' ? `Incoming call: ${call.name}` : this.title;
    if (previous !== call.phase) this.focusFor(call.phase);
  }

  /** Moves focus to the main action of a new phase (Answer while ringing, Hang up in a call). */
  focusFor(phase) {
    const id = { ringing: 'answer', calling: 'hang-up', active: 'hang-up', ended: 'close-call' }[phase];
    if (id) requestAnimationFrame(() => byId(id).focus());
  }

  showLocal(stream) {
    this.localVideo.srcObject = stream;
  }

  showRemote(stream) {
    if (this.remoteVideo.srcObject !== stream) this.remoteVideo.srcObject = stream;
    this.remoteVideo.play().catch(() => {});
  }
}

function setOrDelete(dataset, key, value) {
  if (value === undefined || value === null || value === '') delete dataset[key];
  else dataset[key] = String(value);
}

function kindText(call) {
  const what = call.kind === 'audio' ? 'voice call' : 'video call';
  switch (call.phase) {
    case 'ringing': return `Incoming ${what}`;
    case 'calling': return `Outgoing ${what}`;
    case 'active': return call.kind === 'audio' ? 'Voice call' : 'Video call';
    default: return 'Call ended';
  }
}
