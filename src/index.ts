// deepten's library entry point.
export * from './tensor.ts';
export { noGrad, setGradEnabled, isGradEnabled, detectAnomaly, setDetectAnomaly } from './autograd.ts';
export { Generator, defaultGenerator, manualSeed, type RngState } from './random.ts';
export { backend, backendName, backendInfo, setBackend, availableBackends, type BackendName } from './backend/index.ts';
export * from './functional.ts';
export * as F from './functional.ts';
export * as nn from './nn/index.ts';
export * as optim from './optim/index.ts';
export * as io from './io/index.ts';
export * as data from './data/index.ts';
export * as rl from './rl/index.ts';
export * as viz from './viz/index.ts';
