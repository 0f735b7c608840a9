// Reinforcement-learning pieces: classic-control environments, experience replay, renderers.
export type { Env, StatefulEnv, StepResult } from './env.ts';
export { CartPole, type CartPoleOptions } from './cartpole.ts';
export { Acrobot, type AcrobotOptions } from './acrobot.ts';
export { MountainCar, type MountainCarOptions } from './mountaincar.ts';
export { ReplayBuffer, type ReplayBatch, type ReplayState } from './replay.ts';
export { asciiCartPole, asciiAcrobot, asciiMountainCar, renderCartPole, cartPoleGif, cartPoleStrip, cartPolePalette } from './render.ts';
