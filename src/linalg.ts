// Small dense linear algebra in float64, on row-major n×n arrays: what FID needs (a symmetric eigensolver and the
// PSD square root), not a LAPACK. Plain loops; the matrices are small (84×84 for the MNIST judge).
//
// eigh: the cyclic Jacobi method. Each rotation J(p, q, θ) zeroes one off-diagonal pair,
//   A ← Jᵀ A J,  V ← V J,   with tan θ = t the smaller root of t² + 2ϑt − 1 = 0, ϑ = (a_qq − a_pp) / (2 a_pq),
// and sweeps over all pairs until no off-diagonal element changes its diagonal neighbours. Jacobi is slower than
// Householder + QL but finds small eigenvalues of well-scaled matrices to high relative accuracy, and converges
// quadratically once the off-diagonal mass is small; 84×84 takes a few milliseconds.

export interface Eigh {
  /** Eigenvalues, ascending (as numpy.linalg.eigh). */
  values: Float64Array;
  /** n×n row-major; column k is the unit eigenvector of values[k]. */
  vectors: Float64Array;
}

function checkSquare(op: string, a: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${op}: n must be a positive integer, got ${n}`);
  if (a.length !== n * n) throw new Error(`${op}: expected an ${n}×${n} matrix (${n * n} values), got ${a.length} values`);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new Error(`${op}: element (${Math.floor(i / n)}, ${i % n}) is ${a[i]}, not finite`);
  }
}

/** Eigen-decomposition A = V diag(λ) Vᵀ of a symmetric matrix (only its upper triangle is read). */
export function eigh(a: ArrayLike<number>, n: number): Eigh {
  checkSquare('eigh', a, n);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) A[i * n + j] = A[j * n + i] = a[i * n + j];
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  const maxSweeps = 100;
  let sweep = 0;
  for (; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        const app = A[p * n + p], aqq = A[q * n + q];
        // a_pq below half an ulp of both diagonal entries changes neither: set it to 0 (Rutishauser's test)
        const g = 100 * Math.abs(apq);
        if (sweep > 3 && Math.abs(app) + g === Math.abs(app) && Math.abs(aqq) + g === Math.abs(aqq)) { A[p * n + q] = A[q * n + p] = 0; continue; }
        rotated = true;
        const h = aqq - app;
        let t: number;
        if (Math.abs(h) + g === Math.abs(h)) t = apq / h; // ϑ huge: t ≈ 1/(2ϑ)
        else {
          const theta = (0.5 * h) / apq; // ϑ
          t = 1 / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
          if (theta < 0) t = -t;
        }
        const c = 1 / Math.sqrt(1 + t * t), s = t * c, tau = s / (1 + c);
        // a_pp ← a_pp − t a_pq, a_qq ← a_qq + t a_pq, a_pq ← 0
        A[p * n + p] = app - t * apq;
        A[q * n + q] = aqq + t * apq;
        A[p * n + q] = A[q * n + p] = 0;
        // the other rows/columns r: a_rp ← a_rp − s (a_rq + τ a_rp), a_rq ← a_rq + s (a_rp − τ a_rq)
        for (let r = 0; r < n; r++) {
          if (r === p || r === q) continue;
          const arp = A[r * n + p], arq = A[r * n + q];
          const np = arp - s * (arq + tau * arp), nq = arq + s * (arp - tau * arq);
          A[r * n + p] = A[p * n + r] = np;
          A[r * n + q] = A[q * n + r] = nq;
        }
        // V ← V J, the same rotation on V's columns p and q
        for (let r = 0; r < n; r++) {
          const vrp = V[r * n + p], vrq = V[r * n + q];
          V[r * n + p] = vrp - s * (vrq + tau * vrp);
          V[r * n + q] = vrq + s * (vrp - tau * vrq);
        }
      }
    }
    if (!rotated) break;
  }
  if (sweep === maxSweeps) throw new Error(`eigh: the Jacobi iteration did not converge in ${maxSweeps} sweeps (${n}×${n} matrix)`);
  // sort ascending, permuting V's columns alike
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[i * n + i] - A[j * n + j]);
  const values = new Float64Array(n), vectors = new Float64Array(n * n);
  order.forEach((src, k) => {
    values[k] = A[src * n + src];
    for (let r = 0; r < n; r++) vectors[r * n + k] = V[r * n + src];
  });
  return { values, vectors };
}

/** C = A B for n×n row-major matrices. */
export function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  }
  return c;
}

/** The symmetric PSD square root R = V diag(√max(λ, 0)) Vᵀ of a symmetric matrix (negative rounding noise clipped to 0). */
export function sqrtmPsd(a: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors: V } = eigh(a, n);
  const r = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const s = Math.sqrt(Math.max(values[k], 0));
    if (s === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = V[i * n + k] * s;
      for (let j = i; j < n; j++) r[i * n + j] += vik * V[j * n + k];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) r[i * n + j] = r[j * n + i];
  return r;
}

/** Tr A. */
export function trace(a: ArrayLike<number>, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += a[i * n + i];
  return t;
}
