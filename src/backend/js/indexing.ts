import type { IndexKernels } from '../kernels/indexing.ts';

// Placeholder until the family's kernels land: every call fails loudly.
const missing = (name: string) => (): never => { throw new Error(`js backend: kernel '${name}' is not implemented yet`); };

export const indexing: IndexKernels = new Proxy({} as IndexKernels, { get: (_t, name) => missing(String(name)) });
