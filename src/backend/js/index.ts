import type { Backend } from '../backend.ts';
import { elementwise } from './elementwise.ts';
import { shape } from './shape.ts';
import { reduce } from './reduce.ts';
import { matmul } from './matmul.ts';
import { conv } from './conv.ts';
import { pool } from './pool.ts';
import { softmax } from './softmax.ts';
import { norm } from './norm.ts';
import { indexing } from './indexing.ts';
import { sparse } from './sparse.ts';
import { optim } from './optim.ts';
import { rnn } from './rnn.ts';
import { attention } from './attention.ts';
import { word2vec } from './word2vec.ts';
import { loss } from './loss.ts';

/** The pure-TypeScript backend: always available, and the fallback for any kernel a native backend lacks. */
export const jsBackend: Backend = {
  name: 'js',
  info: () => ({ name: 'js', blas: 'none (TypeScript loops)', threads: 1 }),
  ...elementwise, ...shape, ...reduce, ...matmul, ...conv, ...pool, ...softmax, ...norm, ...indexing, ...sparse, ...optim, ...rnn, ...attention, ...word2vec, ...loss,
};
