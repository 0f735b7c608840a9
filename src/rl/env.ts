// The environment interface the RL code trains against: Gymnasium's reset/step contract with plain typed arrays.
// `terminated` means the MDP reached a terminal state (no bootstrapping past it); `truncated` means a time limit
// cut the episode short (the value of the next state still counts).

export interface StepResult {
  observation: Float64Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

export interface Env {
  readonly observationSize: number;
  readonly actionCount: number;
  /** Starts an episode. A seed reseeds the environment's generator; without one the stream continues. */
  reset(seed?: number): Float64Array;
  step(action: number): StepResult;
  /** An ASCII picture of the current state. */
  render?(): string;
}

/** An environment whose raw physical state can be read and set (for tests and renderers). */
export interface StatefulEnv extends Env {
  /** The physical state (not the observation), e.g. CartPole's [x, ẋ, θ, θ̇]. */
  getState(): number[];
  /** Sets the physical state and the elapsed step count of the episode (for the time limit). */
  setState(state: number[], elapsedSteps?: number): void;
}

export function checkAction(env: string, action: number, count: number): void {
  if (!Number.isInteger(action) || action < 0 || action >= count) {
    throw new Error(`${env}.step: action must be an integer in [0, ${count}), got ${action}`);
  }
}

export function checkState(env: string, state: readonly number[], size: number): void {
  if (!Array.isArray(state) && !ArrayBuffer.isView(state)) throw new Error(`${env}.setState: expected an array of ${size} numbers`);
  if (state.length !== size) throw new Error(`${env}.setState: expected ${size} numbers, got ${state.length}`);
  for (const v of state) if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${env}.setState: state values must be finite numbers, got ${v}`);
}
