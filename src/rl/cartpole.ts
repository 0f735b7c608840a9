// CartPole-v1 with Gymnasium's dynamics (Barto, Sutton & Anderson 1983; equations as corrected by Florian 2007):
// a pole hinged on a cart that is pushed left or right with a constant force, integrated with explicit Euler.
import { Generator } from '../random.ts';
import { checkAction, checkState, type StatefulEnv, type StepResult } from './env.ts';
import { asciiCartPole } from './render.ts';

export interface CartPoleOptions {
  /** Time limit (Gymnasium's TimeLimit wrapper for CartPole-v1): 500. */
  maxEpisodeSteps?: number;
  seed?: number;
}

export class CartPole implements StatefulEnv {
  static readonly gravity = 9.8;
  static readonly massCart = 1.0;
  static readonly massPole = 0.1;
  static readonly totalMass = CartPole.massCart + CartPole.massPole;
  /** Half the pole's length. */
  static readonly length = 0.5;
  static readonly poleMassLength = CartPole.massPole * CartPole.length;
  static readonly forceMag = 10.0;
  /** Seconds per step. */
  static readonly tau = 0.02;
  /** The episode ends when the pole leans more than 12° … */
  static readonly thetaThreshold = (12 * 2 * Math.PI) / 360;
  /** … or the cart leaves [−2.4, 2.4]. */
  static readonly xThreshold = 2.4;

  readonly observationSize = 4;
  readonly actionCount = 2;
  readonly maxEpisodeSteps: number;
  private readonly generator: Generator;
  private state: [number, number, number, number] | null = null;
  private elapsed = 0;
  private done = false;

  constructor(opts: CartPoleOptions = {}) {
    this.maxEpisodeSteps = opts.maxEpisodeSteps ?? 500;
    this.generator = new Generator(opts.seed ?? 0);
  }

  reset(seed?: number): Float64Array {
    if (seed !== undefined) this.generator.manualSeed(seed);
    const g = this.generator;
    // every state variable uniform in [−0.05, 0.05)
    this.state = [g.uniform(-0.05, 0.05), g.uniform(-0.05, 0.05), g.uniform(-0.05, 0.05), g.uniform(-0.05, 0.05)];
    this.elapsed = 0;
    this.done = false;
    return Float64Array.from(this.state);
  }

  step(action: number): StepResult {
    checkAction('CartPole', action, 2);
    if (!this.state) throw new Error('CartPole.step: call reset() before step()');
    if (this.done) throw new Error('CartPole.step: the episode is over; call reset()');
    const C = CartPole;
    let [x, xDot, theta, thetaDot] = this.state;
    const force = action === 1 ? C.forceMag : -C.forceMag;
    const cos = Math.cos(theta), sin = Math.sin(theta);
    // temp = (F + m_p·l·θ̇²·sin θ) / (m_c + m_p)
    const temp = (force + C.poleMassLength * thetaDot * thetaDot * sin) / C.totalMass;
    // θ̈ = (g·sin θ − cos θ·temp) / (l·(4/3 − m_p·cos²θ / (m_c + m_p)))
    const thetaAcc = (C.gravity * sin - cos * temp) / (C.length * (4.0 / 3.0 - (C.massPole * cos * cos) / C.totalMass));
    // ẍ = temp − m_p·l·θ̈·cos θ / (m_c + m_p)
    const xAcc = temp - (C.poleMassLength * thetaAcc * cos) / C.totalMass;
    // explicit Euler: positions advance with the old velocities
    x = x + C.tau * xDot;
    xDot = xDot + C.tau * xAcc;
    theta = theta + C.tau * thetaDot;
    thetaDot = thetaDot + C.tau * thetaAcc;
    this.state = [x, xDot, theta, thetaDot];
    this.elapsed++;
    const terminated = x < -C.xThreshold || x > C.xThreshold || theta < -C.thetaThreshold || theta > C.thetaThreshold;
    // like Gymnasium's TimeLimit, both flags can be set on the same step
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    this.done = terminated || truncated;
    // +1 for every step, the terminating one included
    return { observation: Float64Array.from(this.state), reward: 1.0, terminated, truncated };
  }

  getState(): number[] {
    if (!this.state) throw new Error('CartPole.getState: call reset() first');
    return [...this.state];
  }

  setState(state: number[], elapsedSteps = 0): void {
    checkState('CartPole', state, 4);
    this.state = [state[0], state[1], state[2], state[3]];
    this.elapsed = elapsedSteps;
    this.done = false;
  }

  render(): string {
    if (!this.state) throw new Error('CartPole.render: call reset() first');
    return asciiCartPole(this.state);
  }
}
