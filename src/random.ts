// The one seeded generator behind initialization, dropout, sampling and shuffling.
// xoshiro128** (Blackman & Vigna): 128-bit state, 32-bit outputs, only 32-bit integer arithmetic, so it is
// exact and fast in JavaScript. The same seed gives the same stream on every machine.

export interface RngState {
  s: [number, number, number, number];
  /** Box–Muller makes normals in pairs; the unused one is kept so state export/import is exact. */
  spare: number | null;
}

/** splitmix32: spreads a seed over the state words so nearby seeds give unrelated streams. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [x, (z ^ (z >>> 16)) >>> 0];
}

export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (!Number.isInteger(seed)) throw new Error(`manualSeed: seed must be an integer, got ${seed}`);
    let x = (seed | 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) { const [nx, z] = splitmix32(x); x = nx; this.s[i] = z; }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    this.spare = null;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /**
   * m[i] = scale where the i-th of m.length successive nextU32() draws is ≥ threshold, else 0 (dropout masks).
   * The same draws as calling nextU32() m.length times, with the state in local variables: no call and no boxed
   * number per element, which matters for masks of millions of elements.
   */
  fillThreshold(m: { length: number; [i: number]: number }, threshold: number, scale: number): void {
    let s0 = this.s[0] | 0, s1 = this.s[1] | 0, s2 = this.s[2] | 0, s3 = this.s[3] | 0;
    for (let i = 0; i < m.length; i++) {
      const x = Math.imul(s1, 5);
      const r = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      m[i] = r >= threshold ? scale : 0;
    }
    this.s[0] = s0; this.s[1] = s1; this.s[2] = s2; this.s[3] = s3;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** Standard normal via the Box–Muller transform: √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) { const z = this.spare; this.spare = null; return mean + std * z; }
    let u1 = 0;
    while (u1 === 0) u1 = this.random();
    const u2 = this.random();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return mean + std * r * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [low, high), without modulo bias. */
  randint(low: number, high: number): number {
    const range = high - low;
    if (!(range >= 1) || !Number.isInteger(low) || !Number.isInteger(high)) {
      throw new Error(`randint: need integers low < high, got [${low}, ${high})`);
    }
    if (range <= 2 ** 32) {
      const limit = 2 ** 32 - (2 ** 32 % range);
      let x: number;
      do x = this.nextU32(); while (x >= limit);
      return low + (x % range);
    }
    return low + Math.floor(this.random() * range);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n−1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  getState(): RngState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare };
  }

  setState(state: RngState): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4 || !state.s.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
      throw new Error('Generator.setState: expected {s: four uint32 words, spare: number|null}');
    }
    this.s.set(state.s);
    this.spare = state.spare ?? null;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The default generator used everywhere a generator is not passed explicitly. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator (torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
