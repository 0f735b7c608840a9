// torch.optim's counterpart: optimizers, gradient clipping and learning-rate schedulers.
export * from './optimizer.ts';
export * from './sgd.ts';
export * from './adam.ts';
export * from './clip.ts';
export * from './schedule.ts';
export * from './ema.ts';
