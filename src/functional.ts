// torch.nn.functional's counterpart: every op as a plain function.
export * from './ops/elementwise.ts';
export * from './ops/reduce.ts';
export * from './ops/shape.ts';
export * from './ops/matmul.ts';
export * from './ops/linear.ts';
export * from './ops/softmax.ts';
export * from './ops/conv.ts';
export * from './ops/pool.ts';
export * from './ops/norm.ts';
export * from './ops/loss.ts';
export * from './ops/indexing.ts';
export * from './ops/sparse.ts';
export * from './ops/dropout.ts';
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './ops/attention.ts';
