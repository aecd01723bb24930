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
// Either side: `command` (the custom button, once confirmed, sends name "usr_data" with its label; the device's
// reply comes back as `command` "usr_data_reply"), `av_state` (Microphone, Camera), `hang_up` (or `cancel` before
// an answer). Losing the signaling connection ends the call (the server ends it with peer_gone); an ICE failure,
// or a disconnection that lasts 10 s, ends it too.
//
// Early video (a ring with `earlyMedia`): the device offers while it rings; this page answers at once with no
// camera or microphone (its senders carry no track), so the device's picture plays while it rings. Answer puts
// the camera and microphone on those senders (no renegotiation). The server lets one ringing page take the
// preview; a page that answers without it gets a fresh offer from the device.

import { Ringtone } from './ringtone.js';
import { browserDecodesH264, callStats, getLocalMedia, stopStream } from './media.js';

/** How long an ended call stays on screen before the view closes by itself (ms). */
const LINGER_MS = 4000;
/** How long a media disconnection may last before the call counts as dropped (ms). */
const DISCONNECTED_GRACE_MS = 10000;
/** How long the device has to confirm the custom command (its USR_DATA reply) (ms). */
const COMMAND_REPLY_MS = 10000;
/** Camera and microphone troubles that still let the person see and hear the device (receive only). */
const WATCH_ONLY_REASONS = ['insecure', 'missing'];

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
    this.noteVideoSupport(call);
    if (message.earlyMedia && call.kind === 'video') call.earlyVideo = call.videoUnsupported ? 'unavailable' : 'waiting';
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
      call.mediaError = error.reason || 'failed';
      if (!WATCH_ONLY_REASONS.includes(call.mediaError)) {
        call.answering = false;
        if (this.call === call && call.phase === 'ringing') {
          call.status = '';
          call.message = error.message;
          this.render();
        }
        return;
      }
      // No camera or microphone here (plain http, none found): answer anyway, to see and hear the device.
      stream = null;
      call.message = watchOnlyText(call, error);
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
    if (!stream) this.sendAVState(call);
    this.serial(call, async () => {
      const pc = call.pc || this.makePeer(call);
      if (pc.localDescription) {
        // Early video: the answer went out while it rang; the camera and microphone take its senders now.
        await this.putLocalTracksOnSenders(call, pc);
        return;
      }
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

  /** Early video: answers the device's offer while it rings, sending nothing (senders without a track, so that
   *  Answer needs no renegotiation). The server takes the first ringing page's answer; others keep waiting. */
  async previewOffer(call) {
    const pc = call.pc;
    for (const transceiver of pc.getTransceivers()) {
      if (!transceiver.stopped) transceiver.direction = 'sendrecv';
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (this.call === call && call.phase === 'ringing') {
      this.signaling.send({ type: 'sdp', callId: call.id, sdpType: 'answer', sdp: pc.localDescription.sdp });
      this.startStats(call);
    }
  }

  /** The local camera and microphone on the senders of an answer made while it rang. */
  async putLocalTracksOnSenders(call, pc) {
    const stream = call.localStream;
    if (!stream) return;
    for (const transceiver of pc.getTransceivers()) {
      if (transceiver.stopped) continue;
      const kind = transceiver.receiver.track && transceiver.receiver.track.kind;
      const track = stream.getTracks().find((t) => t.kind === kind);
      if (track) await transceiver.sender.replaceTrack(track);
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
    this.noteVideoSupport(call);
    let stream;
    try {
      stream = await getLocalMedia(kind);
    } catch (error) {
      call.mediaError = error.reason || 'failed';
      if (!WATCH_ONLY_REASONS.includes(call.mediaError)) {
        if (this.call === call) this.end(call, 'media_refused', error.message, { linger: false });
        return;
      }
      stream = null;
      call.message = watchOnlyText(call, error);
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
      if (!call.localStream) {
        // Watching only: receive the device's audio and video without sending any.
        pc.addTransceiver('audio', { direction: 'recvonly' });
        if (call.kind === 'video') pc.addTransceiver('video', { direction: 'recvonly' });
      }
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
        if (call.direction === 'outgoing' && call.phase === 'calling') {
          this.becomeActive(call);
          if (!call.localStream) this.sendAVState(call);
        } else if (call.direction === 'incoming' && message.restartMedia) {
          // This page answers a call whose early video another page took: the device offers again for this
          // page. What was prepared for its earlier offer goes; the new offer is answered when it comes.
          call.offer = null;
          if (call.pc) {
            const old = call.pc;
            call.pc = null;
            call.pendingCandidates = [];
            old.close();
          }
        }
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
      this.end(call, 'hang_up', 'You hung up.');
    }
  }

  /** The Microphone button: stops or resumes sending the microphone; the device gets `av_state`. */
  toggleMute() { this.toggleSending('microphone'); }

  /** The Camera button: stops or resumes sending the camera; the device gets `av_state`. */
  toggleCamera() { this.toggleSending('camera'); }

  toggleSending(what) {
    const call = this.call;
    if (!call || !call.localStream || call.phase === 'ended') return;
    if ((what === 'camera' && !call.hasCamera) || (what === 'microphone' && !call.hasMicrophone)) return;
    call[what] = !call[what];
    const tracks = what === 'camera' ? call.localStream.getVideoTracks() : call.localStream.getAudioTracks();
    for (const track of tracks) track.enabled = call[what];
    this.sendAVState(call);
    this.render();
  }

  /** The custom button (Open door): asks for a confirmation first — it acts on the device's side. */
  sendCommand() {
    const call = this.call;
    if (!call || call.phase !== 'active' || call.commandReply === 'waiting') return;
    call.confirming = true;
    call.confirmQuestion = `${this.commandLabel} at ${call.name}?`;
    call.confirmLabel = `Yes, ${this.commandLabel.charAt(0).toLowerCase()}${this.commandLabel.slice(1)}`;
    this.render();
    this.view.focusConfirm();
  }

  /** Cancel in the confirmation. */
  cancelCommand() {
    const call = this.call;
    if (!call || !call.confirming) return;
    call.confirming = false;
    this.render();
  }

  /** The confirmation's Yes: `command {name: "usr_data", data: label}` (the device's USR_DATA); the device's
   *  reply (`usr_data_reply`, what its onRecvCommand returned) is awaited for a while. */
  confirmCommand() {
    const call = this.call;
    if (!call || call.phase !== 'active' || !call.confirming) return;
    call.confirming = false;
    if (!this.signaling.send({ type: 'command', callId: call.id, name: 'usr_data', data: this.commandLabel })) {
      call.status = `“${this.commandLabel}” was not sent: not connected to the server.`;
      this.render();
      return;
    }
    call.commandsSent = (call.commandsSent || 0) + 1;
    document.body.dataset.commandsSent = String(call.commandsSent);
    call.commandReply = 'waiting';
    call.status = `Sent “${this.commandLabel}”. Waiting for ${call.name} to confirm…`;
    clearTimeout(call.replyTimer);
    call.replyTimer = setTimeout(() => {
      if (this.call !== call || call.commandReply !== 'waiting') return;
      call.commandReply = 'unconfirmed';
      call.status = `${call.name} did not confirm “${this.commandLabel}”. It may not have happened.`;
      this.render();
    }, COMMAND_REPLY_MS);
    this.render();
  }

  /** The device's reply to the custom command: the text its onRecvCommand returned (the seed's demo answers
   *  {"code": 0, "msg": "success"}); code 0 confirms. */
  onCommandReply(call, data) {
    if (call.commandReply !== 'waiting') return;
    clearTimeout(call.replyTimer);
    let code = 0;
    let text = '';
    try {
      const reply = JSON.parse(data);
      if (reply && typeof reply === 'object') {
        code = Number(reply.code ?? 0);
        text = typeof reply.msg === 'string' ? reply.msg : (typeof reply.message === 'string' ? reply.message : '');
      }
    } catch (error) {
      text = String(data || '');
    }
    const detail = text && !/^(ok|success)$/i.test(text) ? `: ${text}` : '';
    if (code === 0) {
      call.commandReply = 'confirmed';
      call.status = `${call.name} confirmed “${this.commandLabel}”${detail}.`;
    } else {
      call.commandReply = 'refused';
      call.status = `${call.name} could not do “${this.commandLabel}”${detail || ` (code ${code})`}.`;
    }
    this.render();
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
      const renewed = Boolean(call.offer);
      call.offer = description;
      this.serial(call, async () => {
        if (renewed && call.pc && call.phase === 'active') {
          // A fresh offer after the answer: another page held the early video, so the device starts over with
          // this one (a new peer connection, the camera and microphone on it).
          this.replacePeer(call);
          this.addLocalTracks(call, call.pc);
          await this.answerOffer(call);
          return;
        }
        const pc = call.pc || this.makePeer(call);
        if (!pc.remoteDescription) await this.applyRemoteDescription(call, description);
        if (call.phase === 'active' && !pc.localDescription) await this.answerOffer(call);
        else if (call.phase === 'ringing' && call.earlyVideo === 'waiting' && !pc.localDescription) await this.previewOffer(call);
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
    if (message.name === 'usr_data_reply') {
      this.onCommandReply(call, message.data);
      return;
    }
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
      pc: null, localStream: null, remoteVideoStream: null, remoteAudioStream: null, offer: null, pendingCandidates: [],
      queue: Promise.resolve(), microphone: true, hasCamera: false, hasMicrophone: false, answeredAt: null,
      endedAt: null, endReason: null, message: '', mediaState: null, link: null, framesDecoded: 0, audioPackets: 0,
      audioEnergy: 0, ringing: false, answering: false, videoUnsupported: false, videoNote: '', earlyVideo: null,
      confirming: false, commandReply: null, timers: [], ...fields,
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

  /** The page's camera and microphone for the call, or null when it only watches and listens. */
  useLocalStream(call, stream) {
    call.localStream = stream;
    call.hasCamera = Boolean(stream) && stream.getVideoTracks().length > 0;
    call.hasMicrophone = Boolean(stream) && stream.getAudioTracks().length > 0;
    if (!call.hasCamera) call.camera = false;
    if (!call.hasMicrophone) call.microphone = false;
    if (!stream) return;
    for (const track of stream.getVideoTracks()) track.enabled = call.camera;
    this.view.showLocal(stream);
    if (stream.cameraMissing) call.message = 'No camera available: the call is voice only from your side.';
  }

  /** Says plainly, before any media, when this browser cannot show the device's video (no H.264 decoder): the
   *  call goes on with sound, and the screen says why there is no picture. */
  noteVideoSupport(call) {
    if (call.kind !== 'video' || browserDecodesH264()) return;
    call.videoUnsupported = true;
    call.videoNote = `This browser cannot show ${call.name}'s video (it has no H.264 video decoder), so you will `
      + 'only hear it. Chrome, Edge and Safari show the video.';
  }

  makePeer(call) {
    const pc = new RTCPeerConnection({ iceServers: call.iceServers, iceTransportPolicy: this.iceTransportPolicy });
    call.pc = pc;
    call.remoteVideoStream = new MediaStream();
    call.remoteAudioStream = new MediaStream();
    pc.ontrack = (event) => {
      if (this.call !== call || call.pc !== pc) return;
      const target = event.track.kind === 'video' ? call.remoteVideoStream : call.remoteAudioStream;
      for (const old of target.getTracks()) target.removeTrack(old);
      target.addTrack(event.track);
      event.track.addEventListener('ended', () => this.render());
      this.view.showRemote(call.remoteVideoStream, call.remoteAudioStream);
    };
    pc.onicecandidate = (event) => {
      if (this.call !== call || call.pc !== pc || call.phase === 'ended') return;
      if (!event.candidate) {
        this.signaling.send({ type: 'candidate', callId: call.id, candidate: '' });
      } else if (event.candidate.candidate) {
        this.signaling.send({
          type: 'candidate', callId: call.id, candidate: event.candidate.candidate, mid: event.candidate.sdpMid,
          mLineIndex: event.candidate.sdpMLineIndex,
        });
      }
    };
    pc.onconnectionstatechange = () => { if (call.pc === pc) this.mediaStateChanged(call); };
    return pc;
  }

  /** Closes the call's peer connection and makes a new one (the device offered again). */
  replacePeer(call) {
    const old = call.pc;
    call.pc = null;
    call.pendingCandidates = [];
    if (old) old.close();
    return this.makePeer(call);
  }

  addLocalTracks(call, pc) {
    if (!call.localStream) return;
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
    this.startStats(call);
    this.render();
  }

  /** getStats every second (once per call), from the answer — or from the early video while it rings. */
  startStats(call) {
    if (call.statsTimer) return;
    call.statsTimer = setInterval(() => this.refreshStats(call), 1000);
    call.timers.push(call.statsTimer);
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
    if (this.call !== call || (call.phase !== 'active' && call.phase !== 'ringing')) return;
    if (call.pc) {
      try {
        Object.assign(call, await callStats(call.pc));
      } catch (error) {
        // The connection closed between the check and getStats; the next tick (if any) sees it.
      }
      if (call.phase === 'ringing' && call.earlyVideo === 'waiting' && call.framesDecoded > 0) call.earlyVideo = 'playing';
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
    clearTimeout(call.replyTimer);
    call.confirming = false;
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

/** What a call without camera and microphone on this page can still do. */
function watchOnlyText(call, error) {
  const what = call.kind === 'video' ? 'see and hear' : 'hear';
  if (error.reason === 'insecure') {
    return `Calls need HTTPS for your camera and microphone: you can ${what} ${call.name}, but it cannot see or hear you.`;
  }
  return `No camera or microphone was found: you can ${what} ${call.name}, but it cannot hear you.`;
}

async function addCandidate(pc, candidate) {
  try {
    await pc.addIceCandidate(candidate);
  } catch (error) {
    // A candidate the browser cannot use (another family, a stale generation) is not a reason to end the call.
  }
}
