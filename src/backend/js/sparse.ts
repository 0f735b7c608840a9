import type { SparseKernels } from '../kernels/sparse.ts';

// Placeholder until the family's kernels land: every call fails loudly.
const missing = (name: string) => (): never => { throw new Error(`js backend: kernel '${name}' is not implemented yet`); };

export const sparse: SparseKernels = new Proxy({} as SparseKernels, { get: (_t, name) => missing(String(name)) });
