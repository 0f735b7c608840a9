import type { OptimKernels } from '../kernels/optim.ts';

// Placeholder until the family's kernels land: every call fails loudly.
const missing = (name: string) => (): never => { throw new Error(`js backend: kernel '${name}' is not implemented yet`); };

export const optim: OptimKernels = new Proxy({} as OptimKernels, { get: (_t, name) => missing(String(name)) });
