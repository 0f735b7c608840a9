import type { PoolKernels } from '../kernels/pool.ts';

// Placeholder until the family's kernels land: every call fails loudly.
const missing = (name: string) => (): never => { throw new Error(`js backend: kernel '${name}' is not implemented yet`); };

export const pool: PoolKernels = new Proxy({} as PoolKernels, { get: (_t, name) => missing(String(name)) });
