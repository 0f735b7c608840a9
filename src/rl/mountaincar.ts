// MountainCar-v0 with Gymnasium's dynamics (Moore 1990): an under-powered car in a valley shaped like
// sin(3x) must rock back and forth to reach the flag at x = 0.5.
import { Generator } from '../random.ts';
import { checkAction, checkState, type StatefulEnv, type StepResult } from './env.ts';
import { asciiMountainCar } from './render.ts';

export interface MountainCarOptions {
  /** Time limit (Gymnasium's TimeLimit for MountainCar-v0): 200. */
  maxEpisodeSteps?: number;
  seed?: number;
}

export class MountainCar implements StatefulEnv {
  static readonly minPosition = -1.2;
  static readonly maxPosition = 0.6;
  static readonly maxSpeed = 0.07;
  static readonly goalPosition = 0.5;
  static readonly goalVelocity = 0;
  static readonly force = 0.001;
  static readonly gravity = 0.0025;

  readonly observationSize = 2;
  readonly actionCount = 3;
  readonly maxEpisodeSteps: number;
  private readonly generator: Generator;
  private state: [number, number] | null = null;
  private elapsed = 0;
  private done = false;

  constructor(opts: MountainCarOptions = {}) {
    this.maxEpisodeSteps = opts.maxEpisodeSteps ?? 200;
    this.generator = new Generator(opts.seed ?? 0);
  }

  reset(seed?: number): Float64Array {
    if (seed !== undefined) this.generator.manualSeed(seed);
    // position uniform in [−0.6, −0.4), at rest
    this.state = [this.generator.uniform(-0.6, -0.4), 0];
    this.elapsed = 0;
    this.done = false;
    return Float64Array.from(this.state);
  }

  step(action: number): StepResult {
    checkAction('MountainCar', action, 3);
    if (!this.state) throw new Error('MountainCar.step: call reset() before step()');
    if (this.done) throw new Error('MountainCar.step: the episode is over; call reset()');
    const C = MountainCar;
    let [position, velocity] = this.state;
    // v ← clip(v + (a − 1)·force − cos(3x)·gravity, ±maxSpeed); x ← clip(x + v, [min, max])
    velocity += (action - 1) * C.force + Math.cos(3 * position) * -C.gravity;
    velocity = Math.min(Math.max(velocity, -C.maxSpeed), C.maxSpeed);
    position += velocity;
    position = Math.min(Math.max(position, C.minPosition), C.maxPosition);
    // the left wall is inelastic
    if (position === C.minPosition && velocity < 0) velocity = 0;
    this.state = [position, velocity];
    this.elapsed++;
    const terminated = position >= C.goalPosition && velocity >= C.goalVelocity;
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    this.done = terminated || truncated;
    return { observation: Float64Array.from(this.state), reward: -1.0, terminated, truncated };
  }

  getState(): number[] {
    if (!this.state) throw new Error('MountainCar.getState: call reset() first');
    return [...this.state];
  }

  setState(state: number[], elapsedSteps = 0): void {
    checkState('MountainCar', state, 2);
    this.state = [state[0], state[1]];
    this.elapsed = elapsedSteps;
    this.done = false;
  }

  render(): string {
    if (!this.state) throw new Error('MountainCar.render: call reset() first');
    return asciiMountainCar(this.state);
  }
}
