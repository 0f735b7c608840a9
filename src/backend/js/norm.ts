import type { NormKernels } from '../kernels/norm.ts';

// Placeholder until the family's kernels land: every call fails loudly.
const missing = (name: string) => (): never => { throw new Error(`js backend: kernel '${name}' is not implemented yet`); };

export const norm: NormKernels = new Proxy({} as NormKernels, { get: (_t, name) => missing(String(name)) });
