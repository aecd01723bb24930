// Camera and microphone, and what getStats says about a call.

/** Why the camera or microphone cannot be used, in words a person can act on. */
export class MediaAccessError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'MediaAccessError';
    this.reason = reason;
  }
}

function describe(error) {
  switch (error && error.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new MediaAccessError('refused',
        'Camera and microphone are blocked. Allow them for this site in your browser\'s settings, then try again.');
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new MediaAccessError('missing', 'No camera or microphone was found on this device.');
    case 'NotReadableError':
    case 'AbortError':
      return new MediaAccessError('busy', 'The camera or microphone is in use by another app. Close it and try again.');
    default:
      return new MediaAccessError('failed', `The camera or microphone could not be started (${error && error.name}).`);
  }
}

/**
 * The local stream for a call of `kind` ('video' | 'audio'). A video call without a usable camera falls back to
 * the microphone alone (`stream.cameraMissing` is then true); a refusal is not retried.
 * @throws MediaAccessError
 */
export async function getLocalMedia(kind) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new MediaAccessError('insecure',
      'This page cannot use a camera or microphone here: open it over https (or on this computer as localhost).');
  }
  const video = { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' };
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: kind === 'video' ? video : false });
  } catch (error) {
    const described = describe(error);
    if (kind !== 'video' || described.reason === 'refused') throw described;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    stream.cameraMissing = true;
    return stream;
  } catch (error) {
    throw describe(error);
  }
}

/** Whether this browser can decode H.264 video in a call (the codec devices send). Firefox without its OpenH264
 *  plugin cannot. */
export function browserDecodesH264() {
  try {
    const capabilities = RTCRtpReceiver.getCapabilities && RTCRtpReceiver.getCapabilities('video');
    return Boolean(capabilities && capabilities.codecs.some((codec) => codec.mimeType.toLowerCase() === 'video/h264'));
  } catch (error) {
    return true;
  }
}

/** Stops every track of `stream` (camera light off). */
export function stopStream(stream) {
  if (stream) for (const track of stream.getTracks()) track.stop();
}

/**
 * What the call's statistics say: the link type ('direct' | 'relayed' | null before a pair is selected; relayed
 * when either end of the selected candidate pair is a TURN relay), video frames decoded, audio packets received
 * and the received audio's total energy (getStats' totalAudioEnergy: above 0 once sound, not silence, played).
 */
export async function callStats(pc) {
  const stats = await pc.getStats();
  let pair = null;
  let framesDecoded = 0;
  let audioPackets = 0;
  let audioEnergy = 0;
  let videoPackets = 0;
  stats.forEach((report) => {
    if (report.type === 'transport' && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    if (report.type === 'inbound-rtp' && report.kind === 'video') {
      framesDecoded += report.framesDecoded || 0;
      videoPackets += report.packetsReceived || 0;
    }
    if (report.type === 'inbound-rtp' && report.kind === 'audio') {
      audioPackets += report.packetsReceived || 0;
      audioEnergy += report.totalAudioEnergy || 0;
    }
  });
  if (!pair) {
    stats.forEach((report) => {
      if (!pair && report.type === 'candidate-pair' && report.nominated && report.state === 'succeeded') pair = report;
    });
  }
  let link = null;
  if (pair) {
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    link = (local && local.candidateType === 'relay') || (remote && remote.candidateType === 'relay') ? 'relayed' : 'direct';
  }
  return { link, framesDecoded, audioPackets, audioEnergy, videoPackets };
}
