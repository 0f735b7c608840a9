// word2vec's training step as an op: sparse in-place SGD updates of the vectors it touches, outside autograd (the
// equations are in src/backend/kernels/word2vec.ts). This file checks the arguments once, clearly, and hands the
// tensors' storage to the backend kernel (native: Hogwild threads; TypeScript: the same algorithm, one thread).
import type { Tensor } from '../tensor.ts';
import { backend } from '../backend/index.ts';
import type { Word2VecCorpus, Word2VecParams, Word2VecStats, Word2VecTables } from '../backend/kernels/word2vec.ts';
import { shapeStr, type FloatArray } from '../backend/types.ts';

export type { Word2VecCorpus, Word2VecParams, Word2VecStats, Word2VecTables };

export interface Word2VecStepOptions extends Omit<Word2VecParams, 'dim' | 'threads'> {
  /** Threads; 0 (default) uses the backend's thread count. */
  threads?: number;
}

function matrix(t: Tensor, what: string, rows: number, cols: number): void {
  if (t.dtype === 'int32') throw new Error(`word2vecTrain: ${what} must be a float tensor, got int32`);
  if (t.requiresGrad) throw new Error(`word2vecTrain: ${what} requires grad; word2vec trains outside autograd (create it with requiresGrad false)`);
  if (t.shape.length !== 2 || t.shape[0] !== rows || t.shape[1] !== cols) {
    throw new Error(`word2vecTrain: ${what} must be ${rows}×${cols}, got ${shapeStr(t.shape)}`);
  }
}

/**
 * Trains sentences [first, last) of the corpus into the vectors, in place. input (V, D); output (V, D) when
 * negative > 0, else null; node (V − 1, D) when hs, else null. Returns the words read and kept and the summed loss.
 */
export function word2vecTrain(input: Tensor, output: Tensor | null, node: Tensor | null, corpus: Word2VecCorpus,
  tables: Word2VecTables, opts: Word2VecStepOptions): Word2VecStats {
  if (input.shape.length !== 2) throw new Error(`word2vecTrain: input vectors must be V×D, got ${shapeStr(input.shape)}`);
  const [V, D] = input.shape;
  matrix(input, 'input vectors', V, D);
  if (opts.negative > 0) {
    if (!output) throw new Error(`word2vecTrain: negative = ${opts.negative} needs output vectors`);
    matrix(output, 'output vectors', V, D);
  }
  if (opts.hs) {
    if (!node) throw new Error('word2vecTrain: hierarchical softmax needs node vectors');
    matrix(node, 'node vectors', V - 1, D);
  }
  if (opts.negative === 0 && !opts.hs) throw new Error('word2vecTrain: neither negative sampling nor hierarchical softmax is on');
  if (tables.keep.length !== V) throw new Error(`word2vecTrain: keep has ${tables.keep.length} entries for ${V} words`);
  if (opts.negative > 0 && (tables.noiseProb.length !== V || tables.noiseAlias.length !== V)) {
    throw new Error(`word2vecTrain: the noise table has ${tables.noiseProb.length} columns for ${V} words`);
  }
  if (opts.hs && tables.codeStart.length !== V + 1) throw new Error(`word2vecTrain: codeStart has ${tables.codeStart.length} entries, needs ${V + 1}`);
  const S = corpus.sentenceStarts.length - 1;
  if (!(Number.isInteger(opts.first) && Number.isInteger(opts.last) && 0 <= opts.first && opts.first <= opts.last && opts.last <= S)) {
    throw new Error(`word2vecTrain: sentences [${opts.first}, ${opts.last}) are outside the corpus's ${S} sentences`);
  }
  if (!(Number.isInteger(opts.epoch) && opts.epoch >= 0 && opts.epoch < opts.epochs)) {
    throw new Error(`word2vecTrain: epoch ${opts.epoch} is outside [0, ${opts.epochs})`);
  }
  if (!(Number.isInteger(opts.window) && opts.window >= 1)) throw new Error(`word2vecTrain: window must be a positive integer, got ${opts.window}`);
  const b = backend();
  const threads = opts.threads || b.info().threads;
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 256)) throw new Error(`word2vecTrain: threads must be in [1, 256], got ${threads}`);
  const stats: Word2VecStats = { words: 0, kept: 0, loss: 0, terms: 0 };
  b.word2vecTrain(input.data as FloatArray, (output?.data as FloatArray | undefined) ?? null, (node?.data as FloatArray | undefined) ?? null,
    corpus, tables, { ...opts, dim: D, threads }, stats);
  return stats;
}
