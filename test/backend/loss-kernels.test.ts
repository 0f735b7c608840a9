// The fused softmax cross-entropy kernels (src/backend/kernels/loss.ts): the TypeScript kernels against the
// definition computed in float64 from log-softmax, the native ones against the TypeScript ones (ignored rows,
// label smoothing, a vocabulary-sized row count that takes the threaded path, outputs poisoned with NaN first).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative } from '../../src/backend/native.ts';
import { jsBackend as js } from '../../src/backend/js/index.ts';
import { Generator } from '../../src/random.ts';

const loaded = loadNative();
const nat = typeof loaded === 'string' ? null : loaded;
const skip = nat ? false : `native backend unavailable: ${loaded as string}`;
const gen = new Generator(5);

function problem(rows: number, C: number) {
  const x = Float32Array.from({ length: rows * C }, () => gen.normal() * 4);
  const target = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 3 ? -100 : gen.randint(0, C)));
  const g = Float32Array.from({ length: rows }, () => gen.uniform(0.5, 2));
  return { x, target, g };
}

function close(a: ArrayLike<number>, e: ArrayLike<number>, what: string, tol: number): void {
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= tol * (1 + Math.abs(e[i])))) assert.fail(`${what}: element ${i} is ${a[i]}, expected ${e[i]}`);
  }
}

describe('crossEntropy kernels', () => {
  test('TypeScript: loss and gradient equal −Σ q·log softmax and softmax − q, q the smoothed target', () => {
    const rows = 7, C = 11;
    for (const eps of [0, 0.1]) {
      const { x, target, g } = problem(rows, C);
      const loss = new Float32Array(rows).fill(NaN), lse = new Float32Array(rows).fill(NaN), gx = new Float32Array(rows * C).fill(NaN);
      js.crossEntropyForward(x, target, loss, lse, rows, C, -100, eps);
      js.crossEntropyBackward(x, target, lse, g, gx, rows, C, -100, eps);
      for (let r = 0; r < rows; r++) {
        const xr = Array.from(x.subarray(r * C, (r + 1) * C));
        const m = Math.max(...xr), l = m + Math.log(xr.reduce((s, v) => s + Math.exp(v - m), 0));
        const ignored = target[r] === -100;
        const q = xr.map((_, c) => (ignored ? 0 : (c === target[r] ? 1 - eps : 0) + eps / C));
        const want = q.reduce((s, qc, c) => s - qc * (xr[c] - l), 0);
        close([loss[r]], [want], `loss row ${r}, eps ${eps}`, 1e-5);
        close(gx.subarray(r * C, (r + 1) * C), xr.map((v, c) => (ignored ? 0 : g[r] * (Math.exp(v - l) - q[c]))), `grad row ${r}, eps ${eps}`, 1e-5);
      }
    }
  });

  test('native equals TypeScript (small and threaded sizes, smoothing, ignored rows)', { skip }, () => {
    for (const [rows, C] of [[1, 1], [9, 13], [600, 5921]]) {
      for (const eps of [0, 0.1]) {
        const { x, target, g } = problem(rows, C);
        const out = () => ({ loss: new Float32Array(rows).fill(NaN), lse: new Float32Array(rows).fill(NaN), gx: new Float32Array(rows * C).fill(NaN) });
        const a = out(), b = out();
        js.crossEntropyForward(x, target, a.loss, a.lse, rows, C, -100, eps);
        js.crossEntropyBackward(x, target, a.lse, g, a.gx, rows, C, -100, eps);
        nat!.crossEntropyForward(x, target, b.loss, b.lse, rows, C, -100, eps);
        nat!.crossEntropyBackward(x, target, b.lse, g, b.gx, rows, C, -100, eps);
        close(b.loss, a.loss, `${rows}×${C} loss`, 1e-5);
        close(b.lse, a.lse, `${rows}×${C} lse`, 1e-5);
        close(b.gx, a.gx, `${rows}×${C} grad`, 1e-5);
      }
    }
  });
});
