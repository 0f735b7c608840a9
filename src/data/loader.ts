// DataLoader: batches over an indexable dataset, with seeded shuffling and a resumable position.
//
// Iterating yields the remaining batches of the current epoch; when an epoch is exhausted the next iteration
// starts a new one (a new permutation when shuffling). state() captures everything needed to continue exactly
// where a run stopped (epoch, batches already served, the generator state that drew this epoch's permutation,
// and the generator's current state), so a restored loader yields the same batches as an uninterrupted one.
import { Generator, type RngState } from '../random.ts';

/** Anything with a length and random access: an array, or an object with get(i). */
export type Dataset<T> = readonly T[] | { readonly length: number; get(i: number): T };

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  shuffle?: boolean;
  /** The generator that draws each epoch's permutation (default: a new Generator(seed ?? 0), owned by the loader). */
  generator?: Generator;
  seed?: number;
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Turns the items of one batch into a batch (default: the array of items). Receives the dataset indices too. */
  collate?: (items: T[], indices: Int32Array) => B;
}

export interface LoaderState {
  epoch: number;
  /** Batches of this epoch already served. */
  position: number;
  /** Dataset length when saved; a restore onto a different length is refused. */
  length: number;
  /** Generator state just before this epoch's permutation was drawn (null when not shuffling or not started). */
  epochStart: RngState | null;
  /** The generator's state when saved (it may also drive augmentation). */
  generator: RngState;
}

export class DataLoader<T, B = T[]> implements Iterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  private readonly collate: (items: T[], indices: Int32Array) => B;
  private epoch = 0;
  private position = 0;
  private order: Int32Array | null = null;
  private epochStart: RngState | null = null;

  constructor(readonly dataset: Dataset<T>, opts: DataLoaderOptions<T, B> = {}) {
    this.batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    if (!dataset || typeof dataset.length !== 'number') throw new Error('DataLoader: dataset must be an array or have length and get(i)');
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.generator = opts.generator ?? new Generator(opts.seed ?? 0);
    this.collate = opts.collate ?? ((items) => items as unknown as B);
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  get currentEpoch(): number { return this.epoch; }

  private item(i: number): T {
    const d = this.dataset;
    return Array.isArray(d) ? (d as readonly T[])[i] : (d as { get(i: number): T }).get(i);
  }

  /** The dataset indices of this epoch, drawing the permutation if the epoch has not begun. */
  private epochOrder(): Int32Array {
    if (this.order) return this.order;
    const n = this.dataset.length;
    if (this.shuffle) {
      this.epochStart = this.generator.getState();
      this.order = this.generator.permutation(n);
    } else {
      this.epochStart = null;
      this.order = Int32Array.from({ length: n }, (_, i) => i);
    }
    return this.order;
  }

  *[Symbol.iterator](): Iterator<B> {
    const order = this.epochOrder();
    const nb = this.length;
    while (this.position < nb) {
      const start = this.position * this.batchSize;
      const idx = order.slice(start, Math.min(start + this.batchSize, order.length));
      // Count the batch as served before handing it out, so state() taken inside the loop body resumes after it.
      this.position++;
      const items = Array.from(idx, (i) => this.item(i));
      yield this.collate(items, idx);
    }
    this.epoch++;
    this.position = 0;
    this.order = null;
    this.epochStart = null;
  }

  state(): LoaderState {
    return {
      epoch: this.epoch,
      position: this.position,
      length: this.dataset.length,
      epochStart: this.order && this.epochStart ? { s: [...this.epochStart.s] as RngState['s'], spare: this.epochStart.spare } : null,
      generator: this.generator.getState(),
    };
  }

  setState(s: LoaderState): void {
    if (!s || !Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.position) || s.position < 0) {
      throw new Error('DataLoader.setState: expected a state from DataLoader.state()');
    }
    if (s.length !== this.dataset.length) throw new Error(`DataLoader.setState: state is for a dataset of ${s.length} items, this one has ${this.dataset.length}`);
    if (s.position > this.length) throw new Error(`DataLoader.setState: position ${s.position} is beyond the ${this.length} batches of an epoch`);
    this.epoch = s.epoch;
    this.position = s.position;
    this.order = null;
    this.epochStart = null;
    if (this.shuffle && s.epochStart) {
      // redraw the same permutation, then put the generator back where it was when saved
      this.generator.setState(s.epochStart);
      this.epochOrder();
    } else if (this.shuffle && s.position > 0) {
      throw new Error('DataLoader.setState: a shuffled epoch in progress needs epochStart');
    }
    this.generator.setState(s.generator);
  }
}
