// Experience replay (Lin 1992; Mnih et al. 2015): a fixed-capacity ring buffer of transitions
// (s, a, r, s', terminated). Once full, each new transition overwrites the oldest.
import type { Generator } from '../random.ts';

export interface ReplayBatch {
  /** (batch, obsSize), row-major. */
  obs: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  /** 1 where the transition ended the episode by termination (no bootstrapping), else 0. */
  dones: Float32Array;
  /** The buffer slots sampled. */
  indices: Int32Array;
}

export interface ReplayState {
  capacity: number;
  obsSize: number;
  size: number;
  position: number;
  obs: Float32Array;
  nextObs: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  dones: Float32Array;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly obsSize: number;
  private obs: Float32Array;
  private nextObs: Float32Array;
  private actions: Int32Array;
  private rewards: Float32Array;
  private dones: Float32Array;
  /** The slot the next transition goes to. */
  private position = 0;
  private count = 0;

  constructor(capacity: number, obsSize: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ReplayBuffer: capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(obsSize) || obsSize < 1) throw new Error(`ReplayBuffer: obsSize must be a positive integer, got ${obsSize}`);
    this.capacity = capacity;
    this.obsSize = obsSize;
    this.obs = new Float32Array(capacity * obsSize);
    this.nextObs = new Float32Array(capacity * obsSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.dones = new Float32Array(capacity);
  }

  /** Number of stored transitions (≤ capacity). */
  get size(): number {
    return this.count;
  }

  /** Stores one transition; `terminated` (not truncation) marks s' as terminal. */
  add(obs: ArrayLike<number>, action: number, reward: number, nextObs: ArrayLike<number>, terminated: boolean): void {
    const n = this.obsSize;
    if (obs.length !== n || nextObs.length !== n) {
      throw new Error(`ReplayBuffer.add: observations must have ${n} values, got ${obs.length} and ${nextObs.length}`);
    }
    if (!Number.isInteger(action)) throw new Error(`ReplayBuffer.add: action must be an integer, got ${action}`);
    const p = this.position;
    for (let i = 0; i < n; i++) { this.obs[p * n + i] = obs[i]; this.nextObs[p * n + i] = nextObs[i]; }
    this.actions[p] = action;
    this.rewards[p] = reward;
    this.dones[p] = terminated ? 1 : 0;
    this.position = (p + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /**
   * A batch of distinct stored transitions, every subset equally likely (Floyd's algorithm: for j = n−k … n−1,
   * draw t uniform in [0, j]; take t unless already taken, else take j).
   */
  sample(batchSize: number, generator: Generator): ReplayBatch {
    const n = this.count;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`ReplayBuffer.sample: batchSize must be a positive integer, got ${batchSize}`);
    if (batchSize > n) throw new Error(`ReplayBuffer.sample: batchSize ${batchSize} exceeds the ${n} stored transitions`);
    const chosen = new Set<number>();
    const indices = new Int32Array(batchSize);
    let k = 0;
    for (let j = n - batchSize; j < n; j++) {
      const t = generator.randint(0, j + 1);
      const pick = chosen.has(t) ? j : t;
      chosen.add(pick);
      indices[k++] = pick;
    }
    return this.gather(indices);
  }

  /** The transitions in the given slots. */
  gather(indices: Int32Array): ReplayBatch {
    const n = this.obsSize, b = indices.length;
    const out: ReplayBatch = {
      obs: new Float32Array(b * n), nextObs: new Float32Array(b * n), actions: new Int32Array(b),
      rewards: new Float32Array(b), dones: new Float32Array(b), indices,
    };
    for (let k = 0; k < b; k++) {
      const i = indices[k];
      if (!(i >= 0 && i < this.count)) throw new Error(`ReplayBuffer.gather: slot ${i} is out of range for ${this.count} stored transitions`);
      out.obs.set(this.obs.subarray(i * n, (i + 1) * n), k * n);
      out.nextObs.set(this.nextObs.subarray(i * n, (i + 1) * n), k * n);
      out.actions[k] = this.actions[i];
      out.rewards[k] = this.rewards[i];
      out.dones[k] = this.dones[i];
    }
    return out;
  }

  /** Everything needed to resume: sizes, the write position and the stored transitions (copies). */
  stateDict(): ReplayState {
    return {
      capacity: this.capacity, obsSize: this.obsSize, size: this.count, position: this.position,
      obs: this.obs.slice(), nextObs: this.nextObs.slice(), actions: this.actions.slice(),
      rewards: this.rewards.slice(), dones: this.dones.slice(),
    };
  }

  loadStateDict(s: ReplayState): void {
    if (s.capacity !== this.capacity || s.obsSize !== this.obsSize) {
      throw new Error(`ReplayBuffer.loadStateDict: state is for capacity ${s.capacity}, obsSize ${s.obsSize}; this buffer has ${this.capacity}, ${this.obsSize}`);
    }
    const c = this.capacity, n = this.obsSize;
    const sizes: [string, ArrayLike<number>, number][] = [
      ['obs', s.obs, c * n], ['nextObs', s.nextObs, c * n], ['actions', s.actions, c], ['rewards', s.rewards, c], ['dones', s.dones, c],
    ];
    for (const [name, arr, len] of sizes) {
      if (!arr || arr.length !== len) throw new Error(`ReplayBuffer.loadStateDict: ${name} needs ${len} values, got ${arr ? arr.length : 'none'}`);
    }
    if (!Number.isInteger(s.size) || s.size < 0 || s.size > c || !Number.isInteger(s.position) || s.position < 0 || s.position >= c) {
      throw new Error(`ReplayBuffer.loadStateDict: bad size ${s.size} or position ${s.position} for capacity ${c}`);
    }
    this.obs.set(s.obs); this.nextObs.set(s.nextObs); this.actions.set(s.actions);
    this.rewards.set(s.rewards); this.dones.set(s.dones);
    this.count = s.size;
    this.position = s.position;
  }
}
