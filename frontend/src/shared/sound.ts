// Alert tones generated with WebAudio (no audio files), and the persisted mute switch.
// Browsers only let audio start after a user gesture: `unlockAudio()` hooks the first one.

const MUTE_KEY = "gh.mute";
let ctx: AudioContext | null = null;
let muted = readMuted();
const listeners: ((muted: boolean) => void)[] = [];

function readMuted(): boolean {
  try {
    return localStorage.getItem(MUTE_KEY) === "1";
  } catch {
    return false;
  }
}

export function isMuted(): boolean {
  return muted;
}

export function setMuted(value: boolean): void {
  muted = value;
  try {
    localStorage.setItem(MUTE_KEY, value ? "1" : "0");
  } catch {
    /* storage disabled */
  }
  for (const fn of listeners) fn(value);
}

export function onMuteChange(fn: (muted: boolean) => void): void {
  listeners.push(fn);
}

function audio(): AudioContext | null {
  if (ctx) return ctx;
  const Ctor = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return null;
  try {
    ctx = new Ctor();
  } catch {
    return null;
  }
  return ctx;
}

/** Create/resume the audio context on the first user gesture so later alerts can sound. */
export function unlockAudio(): void {
  const unlock = () => {
    const c = audio();
    if (c && c.state === "suspended") void c.resume();
    window.removeEventListener("pointerdown", unlock, true);
    window.removeEventListener("keydown", unlock, true);
  };
  window.addEventListener("pointerdown", unlock, true);
  window.addEventListener("keydown", unlock, true);
}

/** The tones of the console's alerts, each recognisable by ear: [frequency Hz, duration ms]. */
export const TONES = {
  /** A unit too long in its status (time-in-status alarm): two low, long notes. */
  statusAlarm: [
    [440, 350],
    [330, 450],
  ] as [number, number][],
};

/** Play tones: [frequency Hz, duration ms] pairs with short gaps. Silent when muted. */
export function beep(tones: [number, number][] = [[880, 180], [660, 180], [880, 180], [660, 180]]): boolean {
  if (muted) return false;
  const c = audio();
  if (!c) return false;
  if (c.state === "suspended") void c.resume();
  let at = c.currentTime + 0.02;
  for (const [freq, ms] of tones) {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    const end = at + ms / 1000;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
    gain.gain.setValueAtTime(0.25, end - 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, end);
    osc.connect(gain).connect(c.destination);
    osc.start(at);
    osc.stop(end + 0.01);
    at = end + 0.06;
  }
  return true;
}
