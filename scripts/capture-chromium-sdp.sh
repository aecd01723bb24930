#!/usr/bin/env bash
# Captures SDP from a real Chromium (Debian `chromium` package) for RingletSDP's test vectors.
#
#   scripts/capture-chromium-sdp.sh offer  OUT.sdp            # Chromium's offer (audio+video, ICE complete)
#   scripts/capture-chromium-sdp.sh answer OFFER.sdp OUT.sdp  # Chromium's answer to OFFER.sdp (our writer's)
#   scripts/capture-chromium-sdp.sh accept ANSWER.sdp OUT.sdp # Chromium makes its offer, applies ANSWER.sdp
#                                                             # (our answer to that offer) as the remote
#                                                             # description; OUT is Chromium's reading of it
#
# Chromium runs headless inside a private network namespace whose only interface is `lo`, with a fake camera
# and microphone, so the only candidates are host candidates on 127.0.0.1 and no packet leaves the machine.
# The page prints the SDP base64-encoded on the console; the script decodes it to the exact bytes (CRLF).
# Needs root (ip netns). The namespace and the temporary folder are removed on exit.
set -euo pipefail

mode=${1:?usage: $0 offer OUT.sdp | answer OFFER.sdp OUT.sdp | accept ANSWER.sdp OUT.sdp}
ns=sdpcap$$
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

case "$mode" in
offer)  out=${2:?missing OUT.sdp}; remote="" ;;
answer|accept) remote=$(base64 -w0 < "${2:?missing input SDP}"); out=${3:?missing OUT.sdp} ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac

cat > "$work/page.html" <<HTML
<!doctype html>
<html><body><script>
const mode = "$mode", remote = "$remote";
function done(kind, text) { console.log("RINGLET-" + kind + ":" + btoa(text)); }
async function gathered(pc) {
  if (pc.iceGatheringState === "complete") return;
  await new Promise(r => pc.addEventListener("icegatheringstatechange",
    () => { if (pc.iceGatheringState === "complete") r(); }));
}
(async () => {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    const pc = new RTCPeerConnection({iceServers: []});
    if (mode === "accept") {
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      await pc.setLocalDescription(await pc.createOffer());
      await pc.setRemoteDescription({type: "answer", sdp: atob(remote)});
      if (pc.signalingState !== "stable") throw new Error("signaling state " + pc.signalingState);
      done("SDP", pc.remoteDescription.sdp);
      return;
    }
    if (mode === "answer") {
      await pc.setRemoteDescription({type: "offer", sdp: atob(remote)});
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      await pc.setLocalDescription(await pc.createAnswer());
    } else {
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      await pc.setLocalDescription(await pc.createOffer());
    }
    await gathered(pc);
    done("SDP", pc.localDescription.sdp);
  } catch (e) {
    done("ERROR", String(e));
  }
})();
</script></body></html>
HTML

ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" timeout 60 chromium --headless=new --no-sandbox --no-first-run --disable-gpu \
  --user-data-dir="$work/profile" --use-fake-device-for-media-stream --use-fake-ui-for-media-stream \
  --allow-loopback-in-peer-connection --enable-logging=stderr --v=0 \
  "file://$work/page.html" 2> "$work/log" &
browser=$!
for _ in $(seq 1 120); do
  grep -q 'RINGLET-' "$work/log" 2>/dev/null && break
  sleep 0.5
done
kill "$browser" 2>/dev/null || true   # the `timeout` process, which passes the signal to chromium
wait "$browser" 2>/dev/null || true

line=$(grep -o 'RINGLET-[A-Z]*:[A-Za-z0-9+/=]*' "$work/log" | head -n1 || true)
if [[ -z "$line" ]]; then echo "no SDP printed; chromium log:" >&2; tail -n 30 "$work/log" >&2; exit 1; fi
case "$line" in
RINGLET-SDP:*) printf '%s' "${line#RINGLET-SDP:}" | base64 -d > "$out" ;;
*) printf '%s' "${line#RINGLET-ERROR:}" | base64 -d >&2; echo >&2; exit 1 ;;
esac
chromium --version
echo "wrote $out ($(wc -c < "$out") bytes)"
