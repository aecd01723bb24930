// One call at a time, in either direction, over the signaling session (docs/protocol.md "Call flows") and the
// browser's RTCPeerConnection.
//
// Device calls this user: `ring` → ringing (the device's `sdp` offer and `candidate`s may arrive now; they are
// applied to a peer connection made with the ring's iceServers, but nothing is sent before the answer).
// Answer → camera/microphone → `answer {callId}` (acknowledged) → tracks added → createAnswer → `sdp answer`
// → trickle candidates (`candidate: ""` ends them). Reject → `reject`. `ring_stop` ends the ringing.
//
// This user calls a device: camera/microphone → `call_device {sn, kind}` → `call_result` (code 0, callId,
// iceServers) → offer and trickle at once → `call_event answer` when the device accepts (busy/reject shown).
//
// Either side: `command` (the custom button sends name "usr_data" with its label), `av_state` (Mute, Camera),
// `hang_up` (or `cancel` before an answer). Losing the signaling connection ends the call (the server ends it
// with peer_gone); an ICE failure, or a disconnection that lasts 10 s, ends it too.

import { Ringtone } from './ringtone.js';
import { callStats, getLocalMedia, stopStream } from './media.js';

/** How long an ended call stays on screen before the view closes by itself (ms). */
const LINGER_MS = 4000;
/** How long a media disconnection may last before the call counts as dropped (ms). */
const DISCONNECTED_GRACE_MS = 10000;

/** `call_result` codes (the seed's) in words. */
export function callResultText(code, name) {
  switch (code) {
    case -303: return `${name} is busy.`;
    case -1001: return `${name} is offline.`;
    case -9: return `You have not authorized ${name}.`;
    case -19: return `${name} belongs to another app.`;
    case -15: return 'The app has used up its calls.';
    case -12: return 'This app may not place calls yet.';
    default: return `The call could not be placed (code ${code}).`;
  }
}

export class CallController {
  /**
   * @param signaling the Signaling session
   * @param view a CallView
   * @param options {commandLabel: the custom button's label, onEnded(call): told when a call ends,
   *   iceTransportPolicy: 'all' (default) or 'relay' (only TURN-relayed paths), onTaken(call): the person
   *   answered or rejected a ringing call here, onAutoAnswer(callId): a call answered by answerWhenRinging}
   */
  constructor(signaling, view, options = {}) {
    this.signaling = signaling;
    this.view = view;
    this.commandLabel = options.commandLabel || 'Open door';
    this.iceTransportPolicy = options.iceTransportPolicy === 'relay' ? 'relay' : 'all';
    this.onEnded = options.onEnded || (() => {});
    this.onTaken = options.onTaken || (() => {});
    this.onAutoAnswer = options.onAutoAnswer || (() => {});
    this.ringtone = new Ringtone();
    this.call = null;
    this.autoAnswer = null;
  }

  /** Answers call `callId` as soon as it rings here (Answer tapped in a notification); true when it rings now
   *  and was answered. `null` forgets it. */
  answerWhenRinging(callId) {
    this.autoAnswer = callId;
    const call = this.call;
    if (callId && call && call.id === callId && call.phase === 'ringing') {
      this.autoAnswer = null;
      this.onAutoAnswer(callId);
      this.answer();
      return true;
    }
    return false;
  }

  /** Shows a call that ended before this page could take it (a notification tapped too late). */
  showEnded(info, reason, message) {
    if (this.busy) return;
    this.dismiss();
    const call = this.newCall({
      id: info.id, sn: info.sn, name: info.name, direction: 'incoming', kind: info.kind === 'audio' ? 'audio' : 'video',
      phase: 'ringing', iceServers: [], camera: false, status: '',
    });
    this.end(call, reason, message);
  }

  /** Whether a call is ringing or in progress (not ended). */
  get busy() { return Boolean(this.call && this.call.phase !== 'ended'); }

  /** Handles a server message; returns whether it was about calls. */
  handle(message) {
    switch (message.type) {
      case 'ring': this.onRing(message); return true;
      case 'ring_stop': this.onRingStop(message); return true;
      case 'call_event': this.onCallEvent(message); return true;
      case 'sdp': this.onSDP(message); return true;
      case 'candidate': this.onCandidate(message); return true;
      case 'command': this.onCommand(message); return true;
      case 'av_state': this.onAVState(message); return true;
      default: return false;
    }
  }

  /** The signaling session closed: the server has ended our calls (peer_gone). */
  signalingLost() {
    const call = this.call;
    if (call && call.phase !== 'ended') {
      this.end(call, 'dropped', 'The connection to the server dropped, so the call ended.');
    }
  }

  // MARK: Incoming

  onRing(message) {
    if (this.busy) {
      this.signaling.send({ type: 'busy', callId: message.callId });
      return;
    }
    this.dismiss();
    const call = this.newCall({
      id: message.callId, sn: message.sn, name: message.deviceName || message.sn, direction: 'incoming',
      kind: message.kind === 'audio' ? 'audio' : 'video', phase: 'ringing', iceServers: message.iceServers || [],
      camera: message.kind !== 'audio' && message.calleeCamera !== false, status: '',
    });
    call.ringing = true;
    this.ringtone.start();
    this.render();
    if (this.autoAnswer && this.autoAnswer === message.callId) {
      this.autoAnswer = null;
      this.onAutoAnswer(message.callId);
      this.answer();
    }
    return call;
  }

  onRingStop(message) {
    const call = this.current(message.callId);
    if (!call || call.phase !== 'ringing') return;
    const texts = {
      answer: ['answered_elsewhere', 'Answered on another device.'],
      reject: ['rejected_elsewhere', 'Rejected on another device.'],
      busy: ['rejected_elsewhere', 'Declined on another device.'],
      cancel: ['remote_cancelled', `${call.name} cancelled the call.`],
      timeout: ['missed', `Missed call from ${call.name}.`],
      peer_gone: ['peer_gone', `${call.name} went offline.`],
    };
    const [reason, text] = texts[message.reason] || ['missed', `Missed call from ${call.name}.`];
    this.end(call, reason, text);
  }

  /** The Answer button. */
  async answer() {
    const call = this.call;
    if (!call || call.phase !== 'ringing' || call.answering) return;
    call.answering = true;
    call.message = '';
    call.mediaError = null;
    call.status = 'Starting camera and microphone…';
    this.render();
    let stream;
    try {
      stream = await getLocalMedia(call.kind);
    } catch (error) {
      call.answering = false;
      if (this.call === call && call.phase === 'ringing') {
        call.status = '';
        call.message = error.message;
        call.mediaError = error.reason || 'failed';
        this.render();
      }
      return;
    }
    if (this.call !== call || call.phase !== 'ringing') {
      stopStream(stream);
      return;
    }
    this.useLocalStream(call, stream);
    try {
      await this.signaling.request({ type: 'answer', callId: call.id });
    } catch (error) {
      if (this.call === call && call.phase !== 'ended') {
        this.end(call, 'answer_failed', error.code === 'unknown_call'
          ? 'This call has already ended or was answered on another device.'
          : `The call could not be answered: ${error.message}`);
      }
      return;
    }
    if (this.call !== call || call.phase === 'ended') return;
    this.ringtone.stop();
    call.ringing = false;
    this.becomeActive(call);
    this.onTaken(call);
    this.serial(call, async () => {
      const pc = call.pc || this.makePeer(call);
      this.addLocalTracks(call, pc);
      if (call.offer) await this.answerOffer(call);
    });
  }

  /** The Reject button. */
  reject() {
    const call = this.call;
    if (!call || call.phase !== 'ringing') return;
    this.signaling.send({ type: 'reject', callId: call.id });
    this.end(call, 'rejected', 'Call rejected.');
    this.onTaken(call);
  }

  async answerOffer(call) {
    const pc = call.pc;
    if (!pc.remoteDescription) await this.applyRemoteDescription(call, call.offer);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (this.call === call && call.phase === 'active') {
      this.signaling.send({ type: 'sdp', callId: call.id, sdpType: 'answer', sdp: pc.localDescription.sdp });
    }
  }

  // MARK: Outgoing

  /** Calls a device (`call_device`); `device` is {sn, name}. */
  async callDevice(device, kind = 'video') {
    if (this.busy) return;
    this.dismiss();
    const call = this.newCall({
      id: null, sn: device.sn, name: device.name || device.sn, direction: 'outgoing', kind, phase: 'calling',
      iceServers: [], camera: kind === 'video', status: 'Starting camera and microphone…',
    });
    this.render();
    let stream;
    try {
      stream = await getLocalMedia(kind);
    } catch (error) {
      call.mediaError = error.reason || 'failed';
      if (this.call === call) this.end(call, 'media_refused', error.message, { linger: false });
      return;
    }
    if (this.call !== call || call.phase !== 'calling') {
      stopStream(stream);
      return;
    }
    this.useLocalStream(call, stream);
    call.status = 'Calling…';
    this.render();
    let result;
    try {
      result = await this.signaling.request({ type: 'call_device', sn: device.sn, kind }, 15000);
    } catch (error) {
      if (this.call === call && call.phase !== 'ended') {
        this.end(call, 'call_failed', `The call could not be placed: ${error.message}.`);
      }
      return;
    }
    if (this.call !== call || call.phase !== 'calling') {
      if (result.code === 0 && result.callId) this.signaling.send({ type: 'cancel', callId: result.callId });
      return;
    }
    if (result.code !== 0 || !result.callId) {
      this.end(call, `refused_${result.code}`, callResultText(result.code, call.name));
      return;
    }
    call.id = result.callId;
    call.iceServers = result.iceServers || [];
    call.status = `Calling ${call.name}…`;
    this.render();
    this.serial(call, async () => {
      const pc = this.makePeer(call);
      this.addLocalTracks(call, pc);
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      if (this.call === call && call.phase !== 'ended') {
        this.signaling.send({ type: 'sdp', callId: call.id, sdpType: 'offer', sdp: pc.localDescription.sdp });
      }
    });
  }

  onCallEvent(message) {
    const call = this.current(message.callId);
    if (!call || call.phase === 'ended') return;
    const name = call.name;
    switch (message.event) {
      case 'answer':
        if (call.direction === 'outgoing' && call.phase === 'calling') this.becomeActive(call);
        break;
      case 'reject': this.end(call, 'remote_rejected', `${name} declined the call.`); break;
      case 'busy': this.end(call, 'busy', `${name} is busy.`); break;
      case 'timeout':
        this.end(call, 'timeout', call.direction === 'outgoing' ? `No answer from ${name}.` : 'Missed call.');
        break;
      case 'cancel': this.end(call, 'remote_cancelled', `${name} cancelled the call.`); break;
      case 'hang_up': this.end(call, 'remote_hang_up', `${name} hung up.`); break;
      case 'peer_gone': this.end(call, 'peer_gone', `The call dropped: ${name} lost its connection.`); break;
      default: break;
    }
  }

  // MARK: Both directions

  /** The Hang up button: cancels a call not answered yet, hangs up an answered one. */
  hangUp() {
    const call = this.call;
    if (!call || call.phase === 'ended') return;
    if (call.phase === 'ringing') {
      this.reject();
    } else if (call.phase === 'calling') {
      if (call.id) this.signaling.send({ type: 'cancel', callId: call.id });
      this.end(call, 'cancelled', 'Call cancelled.');
    } else {
      this.signaling.send({ type: 'hang_up', callId: call.id });
      this.end(call, 'hang_up', 'Call ended.');
    }
  }

  /** The Mute button: stops or resumes sending the microphone; the device gets `av_state`. */
  toggleMute() { this.toggleSending('microphone'); }

  /** The Camera button: stops or resumes sending the camera; the device gets `av_state`. */
  toggleCamera() { this.toggleSending('camera'); }

  toggleSending(what) {
    const call = this.call;
    if (!call || !call.localStream || call.phase === 'ended' || (what === 'camera' && !call.hasCamera)) return;
    call[what] = !call[what];
    const tracks = what === 'camera' ? call.localStream.getVideoTracks() : call.localStream.getAudioTracks();
    for (const track of tracks) track.enabled = call[what];
    this.sendAVState(call);
    this.render();
  }

  /** The custom button: `command {name: "usr_data", data: label}` (the device's USR_DATA). */
  sendCommand() {
    const call = this.call;
    if (!call || call.phase !== 'active') return;
    if (this.signaling.send({ type: 'command', callId: call.id, name: 'usr_data', data: this.commandLabel })) {
      call.status = `Sent “${this.commandLabel}”.`;
      call.commandsSent = (call.commandsSent || 0) + 1;
      document.body.dataset.commandsSent = String(call.commandsSent);
      this.render();
    }
  }

  sendAVState(call) {
    if (call.phase === 'active' || call.phase === 'calling') {
      if (call.id) this.signaling.send({ type: 'av_state', callId: call.id, camera: call.camera, microphone: call.microphone });
    }
  }

  onSDP(message) {
    const call = this.current(message.callId);
    if (!call || call.phase === 'ended') return;
    const description = { type: message.sdpType, sdp: message.sdp };
    if (call.direction === 'incoming' && message.sdpType === 'offer') {
      call.offer = description;
      this.serial(call, async () => {
        const pc = call.pc || this.makePeer(call);
        if (!pc.remoteDescription) await this.applyRemoteDescription(call, description);
        if (call.phase === 'active' && !pc.localDescription) await this.answerOffer(call);
      });
    } else if (call.direction === 'outgoing' && message.sdpType === 'answer') {
      this.serial(call, () => this.applyRemoteDescription(call, description));
    }
  }

  onCandidate(message) {
    const call = this.current(message.callId);
    if (!call || call.phase === 'ended') return;
    const candidate = message.candidate === ''
      ? null
      : { candidate: message.candidate, sdpMid: message.mid ?? null, sdpMLineIndex: message.mLineIndex ?? null };
    this.serial(call, async () => {
      if (call.pc && call.pc.remoteDescription) await addCandidate(call.pc, candidate);
      else call.pendingCandidates.push(candidate);
    });
  }

  onCommand(message) {
    const call = this.current(message.callId);
    if (!call || call.phase === 'ended') return;
    call.status = `${call.name}: ${message.data || message.name}`;
    this.render();
  }

  onAVState(message) {
    const call = this.current(message.callId);
    if (!call || call.phase === 'ended') return;
    const parts = [];
    if (message.camera === false) parts.push('camera off');
    if (message.microphone === false) parts.push('microphone off');
    call.status = parts.length ? `${call.name}: ${parts.join(', ')}` : `${call.name}: camera and microphone on`;
    this.render();
  }

  // MARK: Plumbing

  newCall(fields) {
    this.call = {
      pc: null, localStream: null, remoteStream: null, offer: null, pendingCandidates: [], queue: Promise.resolve(),
      microphone: true, hasCamera: false, answeredAt: null, endedAt: null, endReason: null, message: '',
      mediaState: null, link: null, framesDecoded: 0, audioPackets: 0, ringing: false, answering: false,
      timers: [], ...fields,
    };
    delete document.body.dataset.commandsSent;
    return this.call;
  }

  /** The current call if it has this id. */
  current(callId) {
    return this.call && this.call.id && this.call.id === callId ? this.call : null;
  }

  /** Runs peer connection steps of one call in order; a failure ends the call. */
  serial(call, step) {
    call.queue = call.queue.then(() => {
      if (this.call !== call || call.phase === 'ended') return undefined;
      return step();
    }).catch((error) => {
      if (this.call === call && call.phase !== 'ended') {
        if (call.phase !== 'ringing') this.signaling.send({ type: call.phase === 'calling' ? 'cancel' : 'hang_up', callId: call.id });
        this.end(call, 'media_failed', `The call failed: ${error.message || error}`);
      }
    });
    return call.queue;
  }

  useLocalStream(call, stream) {
    call.localStream = stream;
    call.hasCamera = stream.getVideoTracks().length > 0;
    if (!call.hasCamera) call.camera = false;
    for (const track of stream.getVideoTracks()) track.enabled = call.camera;
    this.view.showLocal(stream);
    if (stream.cameraMissing) call.message = 'No camera available: the call is voice only from your side.';
  }

  makePeer(call) {
    const pc = new RTCPeerConnection({ iceServers: call.iceServers, iceTransportPolicy: this.iceTransportPolicy });
    call.pc = pc;
    call.remoteStream = new MediaStream();
    pc.ontrack = (event) => {
      if (this.call !== call) return;
      call.remoteStream.addTrack(event.track);
      this.view.showRemote(call.remoteStream);
    };
    pc.onicecandidate = (event) => {
      if (this.call !== call || call.phase === 'ended') return;
      if (!event.candidate) {
        this.signaling.send({ type: 'candidate', callId: call.id, candidate: '' });
      } else if (event.candidate.candidate) {
        this.signaling.send({
          type: 'candidate', callId: call.id, candidate: event.candidate.candidate, mid: event.candidate.sdpMid,
          mLineIndex: event.candidate.sdpMLineIndex,
        });
      }
    };
    pc.onconnectionstatechange = () => this.mediaStateChanged(call);
    return pc;
  }

  addLocalTracks(call, pc) {
    for (const track of call.localStream.getTracks()) pc.addTrack(track, call.localStream);
  }

  async applyRemoteDescription(call, description) {
    await call.pc.setRemoteDescription(description);
    const pending = call.pendingCandidates.splice(0);
    for (const candidate of pending) await addCandidate(call.pc, candidate);
  }

  becomeActive(call) {
    call.phase = 'active';
    call.answeredAt = Date.now();
    this.keepScreenOn(call);
    call.status = call.mediaState === 'connected' ? '' : 'Connecting…';
    const tick = setInterval(() => this.refreshStats(call), 1000);
    call.timers.push(tick);
    this.render();
  }

  /** Asks the browser to keep the screen on during the call (phones dim and lock otherwise); best effort. */
  async keepScreenOn(call) {
    if (!navigator.wakeLock) return;
    try {
      const lock = await navigator.wakeLock.request('screen');
      if (this.call === call && call.phase === 'active') call.wakeLock = lock;
      else lock.release().catch(() => {});
    } catch (error) {
      // Refused (hidden page, battery saver): the call goes on without it.
    }
  }

  async refreshStats(call) {
    if (this.call !== call || call.phase !== 'active') return;
    if (call.pc) {
      try {
        Object.assign(call, await callStats(call.pc));
      } catch (error) {
        // The connection closed between the check and getStats; the next tick (if any) sees it.
      }
    }
    if (this.call === call) this.render();
  }

  mediaStateChanged(call) {
    if (this.call !== call || call.phase === 'ended' || !call.pc) return;
    const state = call.pc.connectionState;
    call.mediaState = state;
    clearTimeout(call.dropTimer);
    if (call.phase === 'active') {
      if (state === 'connected') {
        call.status = '';
        this.refreshStats(call);
      } else if (state === 'disconnected') {
        call.status = 'Connection unstable, reconnecting…';
        call.dropTimer = setTimeout(() => {
          if (this.call === call && call.phase === 'active' && call.pc.connectionState !== 'connected') {
            this.signaling.send({ type: 'hang_up', callId: call.id, reason: 'media_lost' });
            this.end(call, 'media_lost', 'The call dropped: the connection to the device was lost.');
          }
        }, DISCONNECTED_GRACE_MS);
      } else if (state === 'failed') {
        this.signaling.send({ type: 'hang_up', callId: call.id, reason: 'media_lost' });
        this.end(call, 'media_failed', 'The call dropped: no media connection could be made with the device.');
        return;
      }
    }
    this.render();
  }

  /** Ends `call` here (what the other side is told is up to the caller); the view closes after a while. */
  end(call, reason, message, { linger = true } = {}) {
    if (call.phase === 'ended') return;
    call.phase = 'ended';
    call.endReason = reason;
    call.message = message;
    call.endedAt = Date.now();
    call.status = call.answeredAt ? 'Call ended' : '';
    call.ringing = false;
    call.answering = false;
    if (this.call === call) this.ringtone.stop();
    for (const timer of call.timers) clearInterval(timer);
    clearTimeout(call.dropTimer);
    if (call.pc) call.pc.close();
    if (call.wakeLock) call.wakeLock.release().catch(() => {});
    stopStream(call.localStream);
    if (this.call === call) {
      this.render();
      if (linger) call.closeTimer = setTimeout(() => { if (this.call === call) this.dismiss(); }, LINGER_MS);
    }
    this.onEnded(call);
  }

  /** Closes the view of an ended call (the Close button, or by itself). */
  dismiss() {
    const call = this.call;
    if (!call || call.phase !== 'ended') return;
    clearTimeout(call.closeTimer);
    this.call = null;
    this.render();
  }

  render() {
    this.view.render(this.call);
  }
}

async function addCandidate(pc, candidate) {
  try {
    await pc.addIceCandidate(candidate);
  } catch (error) {
    // A candidate the browser cannot use (another family, a stale generation) is not a reason to end the call.
  }
}
