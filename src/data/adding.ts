// The adding problem (Hochreiter & Schmidhuber 1997, experiment 4; in the form of Le et al. 2015 and Arjovsky et
// al. 2016): a sequence of T steps with two input channels, a value u_t ~ U(0, 1) and a marker m_t ∈ {0, 1} that is 1
// at exactly two steps, one in the first half and one in the second. The target is the sum of the two marked
// values. Predicting the mean (1) gives MSE = Var(u_a + u_b) = 2/12 ≈ 0.167; solving it means carrying a value across
// up to T steps.
import { Tensor } from '../tensor.ts';
import type { Generator } from '../random.ts';

/** The MSE of always predicting the mean sum, 1: Var(U(0,1) + U(0,1)) = 1/6. */
export const ADDING_BASELINE_MSE = 1 / 6;

/** B sequences of length T → x (T, B, 2) [value, marker], y (B, 1). */
export function addingBatch(T: number, B: number, g: Generator): [Tensor, Tensor] {
  if (!Number.isInteger(T) || T < 2) throw new Error(`addingBatch: T must be an integer ≥ 2, got ${T}`);
  if (!Number.isInteger(B) || B < 1) throw new Error(`addingBatch: B must be a positive integer, got ${B}`);
  const x = new Float32Array(T * B * 2), y = new Float32Array(B);
  const half = Math.floor(T / 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[(t * B + b) * 2] = g.random();
    const i = g.randint(0, half), j = g.randint(half, T);
    x[(i * B + b) * 2 + 1] = 1;
    x[(j * B + b) * 2 + 1] = 1;
    y[b] = x[(i * B + b) * 2] + x[(j * B + b) * 2];
  }
  return [new Tensor(x, [T, B, 2]), new Tensor(y, [B, 1])];
}
