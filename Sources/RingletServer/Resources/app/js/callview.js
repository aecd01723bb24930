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
//   data-remote-video  playing (the device's picture is on screen) | none (the placeholder is)
//   data-remote-audio  playing (the device's sound plays) | none
//   data-video-fit   contain (the whole picture, the default) | cover (fills the screen; a tap on it toggles)
//   data-video-unsupported  set when this browser cannot show the device's video (no H.264 decoder)
//   data-early-video  the ring offered the device's video before answering: waiting | playing | unavailable
//   data-confirm     open while the custom command asks for a confirmation
//   data-command-reply  waiting | confirmed | refused | unconfirmed: the device's answer to the custom command
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
    this.remoteAudio = byId('remote-audio');
    this.placeholderInitial = byId('placeholder-initial');
    this.videoNote = byId('video-note');
    this.confirmQuestion = byId('confirm-question');
    this.confirmButton = byId('confirm-command');
    this.title = document.title;
    this.remoteVideo.addEventListener('click', () => this.toggleFit());
    // The picture counts as shown once it has a frame to show (a stream whose video never decodes keeps the
    // placeholder, with a word why, instead of a black screen).
    for (const event of ['loadeddata', 'playing', 'resize']) {
      this.remoteVideo.addEventListener(event, () => this.videoStateChanged());
    }
    this.remoteAudio.addEventListener('playing', () => { document.body.dataset.remoteAudio = 'playing'; });
    document.body.dataset.videoFit = 'contain';
  }

  /** A tap on the picture: fill the screen (cropping) or show it whole. */
  toggleFit() {
    const body = document.body.dataset;
    body.videoFit = body.videoFit === 'cover' ? 'contain' : 'cover';
  }

  videoStateChanged() {
    const video = this.remoteVideo;
    const stream = video.srcObject;
    const live = stream && stream.getVideoTracks().some((track) => track.readyState === 'live');
    document.body.dataset.remoteVideo = live && video.videoWidth > 0 && video.readyState >= 2 ? 'playing' : 'none';
  }

  /** Mirrors `call` (or no call) on the screen and on <body>'s data attributes. */
  render(call) {
    const body = document.body.dataset;
    if (!call) {
      this.root.hidden = true;
      this.main.inert = false;
      body.callState = 'idle';
      for (const key of ['callId', 'callDirection', 'callKind', 'callEnd', 'callMedia', 'callLink', 'framesDecoded',
        'audioPackets', 'audioEnergy', 'mediaError', 'microphone', 'camera', 'remoteVideo', 'remoteAudio',
        'videoUnsupported', 'earlyVideo', 'confirm', 'commandReply', 'localMedia']) delete body[key];
      body.ringtone = 'off';
      body.videoFit = 'contain';
      this.remoteVideo.srcObject = null;
      this.remoteAudio.srcObject = null;
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
    body.audioEnergy = String(call.audioEnergy || 0);
    setOrDelete(body, 'videoUnsupported', call.videoUnsupported ? 'true' : null);
    setOrDelete(body, 'earlyVideo', call.earlyVideo);
    setOrDelete(body, 'confirm', call.confirming && call.phase === 'active' ? 'open' : null);
    setOrDelete(body, 'commandReply', call.commandReply);
    setOrDelete(body, 'localMedia', call.localStream ? 'on' : null);
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
    this.placeholderInitial.textContent = (call.name || '?').trim().charAt(0).toUpperCase();
    this.kind.textContent = kindText(call);
    // An ended call says what happened once, in the message.
    this.status.textContent = call.phase === 'ended' ? '' : call.status || '';
    this.message.textContent = call.message || '';
    this.videoNote.hidden = !call.videoNote || call.phase === 'ended';
    this.videoNote.textContent = call.videoNote || '';
    this.confirmQuestion.textContent = call.confirmQuestion || '';
    this.confirmButton.textContent = call.confirmLabel || '';
    this.link.textContent = call.link ? (call.link === 'relayed' ? 'Relayed' : 'Direct') : '';
    this.timer.hidden = !call.answeredAt;
    if (call.answeredAt) this.timer.textContent = formatDuration((call.endedAt || Date.now()) - call.answeredAt);
    // Both toggles are pressed while what they name is on (sent to the device).
    this.muteButton.setAttribute('aria-pressed', String(Boolean(call.microphone && call.hasMicrophone)));
    this.cameraButton.setAttribute('aria-pressed', String(Boolean(call.camera && call.hasCamera)));
    this.muteButton.disabled = !call.hasMicrophone;
    this.cameraButton.disabled = !call.hasCamera;
    this.commandButton.disabled = call.phase !== 'active' || call.commandReply === 'waiting';
    this.answerButton.disabled = Boolean(call.answering);
    document.title = call.phase === 'ringing' ? `Incoming call: ${call.name}` : this.title;
    this.videoStateChanged();
    if (previous !== call.phase) this.focusFor(call.phase);
  }

  /** Moves focus to the main action of a new phase (Answer while ringing, Hang up in a call). */
  focusFor(phase) {
    const id = { ringing: 'answer', calling: 'hang-up', active: 'hang-up', ended: 'close-call', confirm: 'confirm-command' }[phase];
    if (id) requestAnimationFrame(() => byId(id).focus());
  }

  showLocal(stream) {
    this.localVideo.srcObject = stream;
  }

  /** Shows the device's media: its video tracks in the (muted) video element and its audio tracks in the audio
   *  element, so that the sound plays even when the video never starts (a browser without the video's codec). */
  showRemote(videoStream, audioStream) {
    if (this.remoteVideo.srcObject !== videoStream) this.remoteVideo.srcObject = videoStream;
    if (this.remoteAudio.srcObject !== audioStream) this.remoteAudio.srcObject = audioStream;
    if (videoStream.getVideoTracks().length > 0) this.remoteVideo.play().catch(() => {});
    if (audioStream.getAudioTracks().length > 0) this.remoteAudio.play().catch(() => {});
    this.videoStateChanged();
  }

  /** Moves focus to the confirmation's main button. */
  focusConfirm() {
    this.focusFor('confirm');
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
    default: return '';
  }
}
