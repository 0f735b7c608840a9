import type { ConvKernels } from '../kernels/conv.ts';

// Placeholder until the family's kernels land: every call fails loudly.
const missing = (name: string) => (): never => { throw new Error(`js backend: kernel '${name}' is not implemented yet`); };

export const conv: ConvKernels = new Proxy({} as ConvKernels, { get: (_t, name) => missing(String(name)) });
