// A ring tone made with WebAudio (no audio file): two short bursts of a 440 + 480 Hz chord every 3 seconds,
// with soft edges. Browsers start audio only after the person has used the page (signing in counts); if the
// audio context stays suspended the ringing view still shows, and phones also vibrate where they can.

export class Ringtone {
  constructor() {
    this.context = null;
    this.timer = null;
    this.playing = false;
  }

  start() {
    if (this.playing) return;
    this.playing = true;
    try {
      this.context = this.context || new AudioContext();
      this.context.resume().catch(() => {});
    } catch (error) {
      this.context = null;
    }
    const ring = () => {
      this.burst(0);
      this.burst(0.5);
      if (navigator.vibrate) navigator.vibrate([400, 100, 400]);
    };
    ring();
    this.timer = setInterval(ring, 3000);
  }

  burst(offset) {
    const context = this.context;
    if (!context) return;
    const start = context.currentTime + offset;
    const gain = context.createGain();
    gain.gain.setValueAtTime(0, start);
    gain.gain.linearRampToValueAtTime(0.18, start + 0.03);
    gain.gain.setValueAtTime(0.18, start + 0.37);
    gain.gain.linearRampToValueAtTime(0, start + 0.4);
    gain.connect(context.destination);
    for (const frequency of [440, 480]) {
      const oscillator = context.createOscillator();
      oscillator.type = 'sine';
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start(start);
      oscillator.stop(start + 0.42);
    }
  }

  stop() {
    if (!this.playing) return;
    this.playing = false;
    clearInterval(this.timer);
    this.timer = null;
    if (navigator.vibrate) navigator.vibrate(0);
    if (this.context) {
      const context = this.context;
      this.context = null;
      context.close().catch(() => {});
    }
  }
}
