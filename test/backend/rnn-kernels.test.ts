// The recurrent cell kernels (src/backend/kernels/rnn.ts: LSTM, GRU, plain RNN): the TypeScript kernels against a
// direct transcription of the equations and their backward against float64 central differences, the native ones
// against the TypeScript ones on random float32 inputs (odd sizes, a size that takes the threaded path, with and
// without bias / recurrent ∂h), and the float64 fallback. Native tests skip when the addon is not built.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative, type NativeBackend } from '../../src/backend/native.ts';
import { jsBackend as js } from '../../src/backend/js/index.ts';
import type { Backend } from '../../src/backend/backend.ts';
import { Generator } from '../../src/random.ts';

const loaded = loadNative();
const nat = typeof loaded === 'string' ? null : loaded;
const skip = nat ? false : `native backend unavailable: ${loaded as string}`;
const N = (): NativeBackend => nat as NativeBackend;

const gen = new Generator(77);
function randn(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = gen.normal() * scale;
  return a;
}
/** Activations as the forward kernel leaves them: i, f, o in (0, 1), g in (−1, 1). */
function acts(B: number, H: number): Float32Array {
  const a = new Float32Array(B * 4 * H);
  for (let b = 0; b < B; b++) {
    for (let q = 0; q < 4; q++) {
      for (let j = 0; j < H; j++) a[b * 4 * H + q * H + j] = q === 2 ? gen.uniform(-1, 1) : gen.uniform(0, 1);
    }
  }
  return a;
}

/** |a − e| ≤ tol·(|e| + 1) elementwise; every element must be finite (POISON would show unwritten ones as NaN). */
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    assert.ok(Number.isFinite(a) && Number.isFinite(e), `${what}: element ${i} is ${a}, expected ${e}`);
    if (!(Math.abs(a - e) <= tol * (Math.abs(e) + 1))) assert.fail(`${what}: element ${i} is ${a}, expected ${e}`);
  }
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

describe('lstmCellForward / lstmCellBackward (TypeScript)', () => {
  test('forward follows c = f·c′ + i·g, h = o·tanh(c) with [σ, σ, tanh, σ] gates, bias per gate row', () => {
    const B = 2, H = 3, z = randn(B * 4 * H), bias = randn(4 * H), cPrev = randn(B * H);
    const gates = z.slice(), c = new Float32Array(B * H).fill(NaN), h = new Float32Array(B * H).fill(NaN);
    js.lstmCellForward(gates, bias, cPrev, c, h, B, H);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const pre = (q: number) => z[b * 4 * H + q * H + j] + bias[q * H + j];
        const i = sig(pre(0)), f = sig(pre(1)), g = Math.tanh(pre(2)), o = sig(pre(3));
        close([gates[b * 4 * H + j], gates[b * 4 * H + H + j], gates[b * 4 * H + 2 * H + j], gates[b * 4 * H + 3 * H + j]], [i, f, g, o], 'gates', 1e-6);
        const cv = f * cPrev[b * H + j] + i * g;
        close([c[b * H + j], h[b * H + j]], [cv, o * Math.tanh(cv)], 'c, h', 1e-6);
      }
    }
  });

  test('backward is the derivative of the forward step (float64 central differences)', () => {
    // L = Σ wh·h + Σ wc·c of one forward step; ∂L/∂z from lstmCellBackward(dhOut = wh, dc = wc) vs differences
    const B = 2, H = 3, n = B * 4 * H;
    const z = Float64Array.from(randn(n)), cPrev = Float64Array.from(randn(B * H));
    const wh = Float64Array.from(randn(B * H)), wc = Float64Array.from(randn(B * H));
    const loss = (zz: Float64Array): number => {
      const g = zz.slice(), c = new Float64Array(B * H), h = new Float64Array(B * H);
      js.lstmCellForward(g, null, cPrev, c, h, B, H);
      let s = 0;
      for (let k = 0; k < B * H; k++) s += wh[k] * h[k] + wc[k] * c[k];
      return s;
    };
    const gates = z.slice(), c = new Float64Array(B * H), h = new Float64Array(B * H);
    js.lstmCellForward(gates, null, cPrev, c, h, B, H);
    // split the ∂h into an output part and a recurrent part to check that they add
    const dhOut = wh.map((v) => v * 0.25), dhRec = wh.map((v) => v * 0.75), dc = wc.slice(), dz = new Float64Array(n);
    js.lstmCellBackward(gates, c, cPrev, dhOut, dhRec, dc, dz, B, H);
    const eps = 1e-6;
    for (let k = 0; k < n; k++) {
      const zp = z.slice(), zm = z.slice();
      zp[k] += eps; zm[k] -= eps;
      close([dz[k]], [(loss(zp) - loss(zm)) / (2 * eps)], `∂z[${k}]`, 1e-7);
    }
    // dc ← ∂L/∂c′ = (∂c)·f: against differences in c′
    for (let k = 0; k < B * H; k++) {
      const at = (d: number) => { const s = cPrev[k]; cPrev[k] = s + d; const v = loss(z); cPrev[k] = s; return v; };
      close([dc[k]], [(at(eps) - at(-eps)) / (2 * eps)], `∂c′[${k}]`, 1e-7);
    }
  });
});

describe('gruCellForward / gruCellBackward, rnnCellForward / rnnCellBackward (TypeScript)', () => {
  test('GRU forward follows PyTorch\'s equations (r multiplies W_hn·h + b_hn)', () => {
    const B = 2, H = 3, gx = randn(B * 3 * H), gh = randn(B * 3 * H), bias = randn(3 * H), hPrev = randn(B * H);
    const a = gx.slice(), g2 = gh.slice(), h = new Float32Array(B * H).fill(NaN);
    js.gruCellForward(a, g2, bias, hPrev, h, B, H);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const at = (q: number) => b * 3 * H + q * H + j;
        const r = sig(gx[at(0)] + gh[at(0)] + bias[j]), z = sig(gx[at(1)] + gh[at(1)] + bias[H + j]);
        const m = gh[at(2)] + bias[2 * H + j], n = Math.tanh(gx[at(2)] + r * m);
        close([a[at(0)], a[at(1)], a[at(2)], g2[at(2)]], [r, z, n, m], 'activations and m', 1e-6);
        close([h[b * H + j]], [(1 - z) * n + z * hPrev[b * H + j]], 'h', 1e-6);
      }
    }
  });

  test('GRU backward is the derivative of the forward step (float64 central differences)', () => {
    // L = Σ w·h of one step; ∂L/∂gx, ∂L/∂gh, ∂L/∂hPrev (direct part + dGh·W_hh is the caller's: here gh is an input)
    const B = 2, H = 3, n = B * 3 * H;
    const gx = Float64Array.from(randn(n)), gh = Float64Array.from(randn(n)), hPrev = Float64Array.from(randn(B * H)), w = Float64Array.from(randn(B * H));
    const loss = (x: Float64Array, y: Float64Array, hp: Float64Array): number => {
      const h = new Float64Array(B * H);
      js.gruCellForward(x.slice(), y.slice(), null, hp, h, B, H);
      return h.reduce((s, v, k) => s + v * w[k], 0);
    };
    const a = gx.slice(), g2 = gh.slice(), h = new Float64Array(B * H);
    js.gruCellForward(a, g2, null, hPrev, h, B, H);
    const dGx = new Float64Array(n), dGh = new Float64Array(n), dhRec = w.map((v) => v * 0.6), before = dhRec.slice();
    // dhPrev is dhRec itself (in place): ∂L/∂h_t = dhOut + dhRec = w, and the kernel leaves ∂L/∂hPrev (direct path) there
    js.gruCellBackward(a, g2, hPrev, w.map((v) => v * 0.4), dhRec, dGx, dGh, dhRec, B, H);
    const eps = 1e-6;
    const diff = (f: (d: number) => number) => (f(eps) - f(-eps)) / (2 * eps);
    for (let k = 0; k < n; k++) {
      close([dGx[k]], [diff((d) => { const x = gx.slice(); x[k] += d; return loss(x, gh, hPrev); })], `∂gx[${k}]`, 1e-7);
      close([dGh[k]], [diff((d) => { const y = gh.slice(); y[k] += d; return loss(gx, y, hPrev); })], `∂gh[${k}]`, 1e-7);
    }
    for (let k = 0; k < B * H; k++) close([dhRec[k]], [diff((d) => { const hp = hPrev.slice(); hp[k] += d; return loss(gx, gh, hp); })], `∂hPrev direct[${k}]`, 1e-7);
    assert.notDeepEqual(dhRec, before, 'dhPrev written in place over dhRec');
  });

  test('RNN forward is act(z + b) in place; backward multiplies by act\'(z)', () => {
    const B = 2, H = 4, z = randn(B * H, 2), bias = randn(H);
    for (const relu of [false, true]) {
      const h = z.slice();
      js.rnnCellForward(h, bias, B, H, relu);
      const want = Array.from(z, (v, k) => (relu ? Math.max(0, v + bias[k % H]) : Math.tanh(v + bias[k % H])));
      close(h, want, `forward relu=${relu}`, 1e-6);
      const dho = randn(B * H), dhr = randn(B * H), dz = new Float32Array(B * H).fill(NaN);
      js.rnnCellBackward(h, dho, dhr, dz, B, H, relu);
      close(dz, Array.from(h, (v, k) => (dho[k] + dhr[k]) * (relu ? (v > 0 ? 1 : 0) : 1 - v * v)), `backward relu=${relu}`, 1e-6);
    }
  });
});

describe('native lstmCellForward / lstmCellBackward vs TypeScript', { skip }, () => {
  /** Runs one kernel on both backends over separate copies of the arguments; returns [native, js] copies. */
  function both<A extends readonly unknown[]>(args: A, run: (be: Backend, ...a: A) => void): [A, A] {
    const dup = (v: unknown): unknown => (v instanceof Float32Array ? v.slice() : v);
    const aj = args.map(dup) as unknown as A, an = args.map(dup) as unknown as A;
    run(js, ...aj);
    run(N(), ...an);
    return [an, aj];
  }

  // 20×200 is the benchmark's step; 96×200 (19 200 elements) takes the threaded path
  for (const [B, H] of [[1, 1], [3, 7], [5, 33], [20, 200], [96, 200]]) {
    for (const withBias of [true, false]) {
      test(`forward B=${B} H=${H} bias=${withBias}`, () => {
        const z = randn(B * 4 * H, 3); // pre-activations wide enough to reach the saturated tails
        z[0] = 40; if (z.length > 1) z[1] = -40;
        const [n, j] = both([z, withBias ? randn(4 * H) : null, randn(B * H), new Float32Array(B * H).fill(NaN), new Float32Array(B * H).fill(NaN)] as const,
          (be, g, b, cp, c, h) => be.lstmCellForward(g, b, cp, c, h, B, H));
        close(n[0], j[0], 'gates');
        close(n[3], j[3], 'c');
        close(n[4], j[4], 'h');
      });
    }
    for (const withRec of [true, false]) {
      test(`backward B=${B} H=${H} dhRec=${withRec}`, () => {
        const [n, j] = both([acts(B, H), randn(B * H, 2), randn(B * H), randn(B * H), withRec ? randn(B * H) : null, randn(B * H),
          new Float32Array(B * 4 * H).fill(NaN)] as const,
        (be, a, c, cp, dho, dhr, dc, dg) => be.lstmCellBackward(a, c, cp, dho, dhr, dc, dg, B, H));
        close(n[6], j[6], 'dGates');
        close(n[5], j[5], 'dc');
      });
    }
  }

  for (const [B, H] of [[1, 1], [3, 7], [5, 33], [20, 200], [96, 200]]) {
    for (const withBias of [true, false]) {
      test(`GRU forward B=${B} H=${H} bias=${withBias}`, () => {
        const [n, j] = both([randn(B * 3 * H, 3), randn(B * 3 * H, 2), withBias ? randn(3 * H) : null, randn(B * H), new Float32Array(B * H).fill(NaN)] as const,
          (be, gx, gh, b, hp, h) => be.gruCellForward(gx, gh, b, hp, h, B, H));
        close(n[0], j[0], 'activations');
        close(n[1], j[1], 'gh with m');
        close(n[4], j[4], 'h');
      });
      for (const relu of [false, true]) {
        test(`RNN forward B=${B} H=${H} bias=${withBias} relu=${relu}`, () => {
          const [n, j] = both([randn(B * H, 3), withBias ? randn(H) : null] as const, (be, h, b) => be.rnnCellForward(h, b, B, H, relu));
          close(n[0], j[0], 'h');
        });
      }
    }
    for (const withRec of [true, false]) {
      test(`GRU backward B=${B} H=${H} dhRec=${withRec}`, () => {
        const a = acts(B, H).subarray(0, B * 3 * H); // r, z in (0, 1); n uniform in (0, 1) is fine for a comparison
        const [n, j] = both([a, randn(B * 3 * H), randn(B * H), randn(B * H), withRec ? randn(B * H) : null,
          new Float32Array(B * 3 * H).fill(NaN), new Float32Array(B * 3 * H).fill(NaN), new Float32Array(B * H).fill(NaN)] as const,
        (be, g, gh, hp, dho, dhr, dgx, dgh, dhp) => be.gruCellBackward(g, gh, hp, dho, dhr, dgx, dgh, dhp, B, H));
        close(n[5], j[5], 'dGx');
        close(n[6], j[6], 'dGh');
        close(n[7], j[7], 'dhPrev');
      });
      for (const relu of [false, true]) {
        test(`RNN backward B=${B} H=${H} dhRec=${withRec} relu=${relu}`, () => {
          const h = relu ? randn(B * H).map((v) => Math.max(0, v)) : randn(B * H).map(Math.tanh);
          const [n, j] = both([h, randn(B * H), withRec ? randn(B * H) : null, new Float32Array(B * H).fill(NaN)] as const,
            (be, hh, dho, dhr, dz) => be.rnnCellBackward(hh, dho, dhr, dz, B, H, relu));
          close(n[3], j[3], 'dz');
        });
      }
    }
  }

  test('GRU backward in place: dhPrev aliasing dhRec gives the same result', () => {
    const B = 5, H = 33;
    const args = [acts(B, H).subarray(0, B * 3 * H), randn(B * 3 * H), randn(B * H), randn(B * H)] as const;
    const rec = randn(B * H);
    const run = (alias: boolean) => {
      const dhr = rec.slice(), dhp = alias ? dhr : new Float32Array(B * H);
      const dgx = new Float32Array(B * 3 * H), dgh = new Float32Array(B * 3 * H);
      N().gruCellBackward(args[0], args[1], args[2], args[3], dhr, dgx, dgh, dhp, B, H);
      return [...dgx, ...dgh, ...dhp];
    };
    assert.deepEqual(run(true), run(false));
  });

  test('float64 arrays take the TypeScript kernels', () => {
    const B = 2, H = 5;
    const z = Float64Array.from(randn(B * 4 * H)), cp = Float64Array.from(randn(B * H));
    const run = (be: Backend) => {
      const g = z.slice(), c = new Float64Array(B * H), h = new Float64Array(B * H);
      be.lstmCellForward(g, null, cp, c, h, B, H);
      const dc = Float64Array.from(c), dg = new Float64Array(B * 4 * H);
      be.lstmCellBackward(g, c, cp, h, null, dc, dg, B, H);
      return [...g, ...c, ...h, ...dc, ...dg];
    };
    assert.deepEqual(run(N()), run(js));
  });

  test('the addon rejects arrays shorter than B·H', () => {
    const B = 2, H = 3;
    assert.throws(() => N().lstmCellForward(new Float32Array(B * 4 * H), null, new Float32Array(B * H), new Float32Array(B * H - 1),
      new Float32Array(B * H), B, H), /lstmCellForward: argument 3 has 5 elements, needs 6/);
  });
});
