// Learning-rate schedulers (torch.optim.lr_scheduler), one file per family under schedule/.
export { LRScheduler, type SchedulerStateDict } from './schedule/scheduler.ts';
export { StepLR, MultiStepLR, ExponentialLR, LinearLR, LambdaLR } from './schedule/simple.ts';
export { CosineAnnealingLR, CosineAnnealingWarmRestarts } from './schedule/cosine.ts';
export { OneCycleLR, type OneCycleLROptions } from './schedule/one-cycle.ts';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions, type PlateauStateDict } from './schedule/plateau.ts';
export { SequentialLR } from './schedule/sequential.ts';
