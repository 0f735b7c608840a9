// Acrobot-v1 with Gymnasium's dynamics (Sutton 1996; Sutton & Barto's book form of the equations): two links
// hanging from a fixed pivot, torque only at the joint between them. One step integrates the equations of
// motion over dt = 0.2 s with a single classical Runge–Kutta (RK4) step, holding the torque constant.
import { Generator } from '../random.ts';
import { checkAction, checkState, type StatefulEnv, type StepResult } from './env.ts';
import { asciiAcrobot } from './render.ts';

export interface AcrobotOptions {
  /** Time limit (Gymnasium's TimeLimit for Acrobot-v1): 500. */
  maxEpisodeSteps?: number;
  seed?: number;
}

const dt = 0.2;
const m1 = 1.0, m2 = 1.0; // link masses [kg]
const l1 = 1.0; // length of link 1 [m]
const lc1 = 0.5, lc2 = 0.5; // positions of the links' centres of mass [m]
const I1 = 1.0, I2 = 1.0; // moments of inertia
const g = 9.8;
const maxVel1 = 4 * Math.PI, maxVel2 = 9 * Math.PI;
const torques = [-1.0, 0.0, 1.0];

/**
 * The time derivative of s = (θ1, θ2, θ̇1, θ̇2) under torque a (book dynamics):
 *   d1 = m1·lc1² + m2·(l1² + lc2² + 2·l1·lc2·cos θ2) + I1 + I2
 *   d2 = m2·(lc2² + l1·lc2·cos θ2) + I2
 *   φ2 = m2·lc2·g·cos(θ1 + θ2 − π/2)
 *   φ1 = −m2·l1·lc2·θ̇2²·sin θ2 − 2·m2·l1·lc2·θ̇2·θ̇1·sin θ2 + (m1·lc1 + m2·l1)·g·cos(θ1 − π/2) + φ2
 *   θ̈2 = (a + d2/d1·φ1 − m2·l1·lc2·θ̇1²·sin θ2 − φ2) / (m2·lc2² + I2 − d2²/d1)
 *   θ̈1 = −(d2·θ̈2 + φ1) / d1
 */
function derivative(s: Float64Array, a: number, out: Float64Array): void {
  const theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3];
  const cos2 = Math.cos(theta2), sin2 = Math.sin(theta2);
  const d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos2) + I1 + I2;
  const d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos2) + I2;
  const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2.0);
  const phi1 = -m2 * l1 * lc2 * dtheta2 * dtheta2 * sin2
    - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2
    + (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2)
    + phi2;
  const ddtheta2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 * dtheta1 * sin2 - phi2) / (m2 * lc2 * lc2 + I2 - (d2 * d2) / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1; out[1] = dtheta2; out[2] = ddtheta1; out[3] = ddtheta2;
}

/** One RK4 step: y + h/6·(k1 + 2k2 + 2k3 + k4), k1 = f(y), k2 = f(y + h/2·k1), k3 = f(y + h/2·k2), k4 = f(y + h·k3). */
function rk4(y: Float64Array, a: number, h: number): Float64Array {
  const k1 = new Float64Array(4), k2 = new Float64Array(4), k3 = new Float64Array(4), k4 = new Float64Array(4);
  const tmp = new Float64Array(4);
  const h2 = h / 2.0;
  derivative(y, a, k1);
  for (let i = 0; i < 4; i++) tmp[i] = y[i] + h2 * k1[i];
  derivative(tmp, a, k2);
  for (let i = 0; i < 4; i++) tmp[i] = y[i] + h2 * k2[i];
  derivative(tmp, a, k3);
  for (let i = 0; i < 4; i++) tmp[i] = y[i] + h * k3[i];
  derivative(tmp, a, k4);
  const out = new Float64Array(4);
  for (let i = 0; i < 4; i++) out[i] = y[i] + (h / 6.0) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  return out;
}

/** Wraps x into [lo, hi] by whole periods (hi − lo). */
function wrap(x: number, lo: number, hi: number): number {
  const period = hi - lo;
  while (x > hi) x -= period;
  while (x < lo) x += period;
  return x;
}

function bound(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

export class Acrobot implements StatefulEnv {
  readonly observationSize = 6;
  readonly actionCount = 3;
  readonly maxEpisodeSteps: number;
  private readonly generator: Generator;
  private state: Float64Array | null = null;
  private elapsed = 0;
  private done = false;

  constructor(opts: AcrobotOptions = {}) {
    this.maxEpisodeSteps = opts.maxEpisodeSteps ?? 500;
    this.generator = new Generator(opts.seed ?? 0);
  }

  reset(seed?: number): Float64Array {
    if (seed !== undefined) this.generator.manualSeed(seed);
    const s = new Float64Array(4);
    for (let i = 0; i < 4; i++) s[i] = this.generator.uniform(-0.1, 0.1);
    this.state = s;
    this.elapsed = 0;
    this.done = false;
    return this.observation();
  }

  /** [cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2] */
  private observation(): Float64Array {
    const s = this.state!;
    return Float64Array.of(Math.cos(s[0]), Math.sin(s[0]), Math.cos(s[1]), Math.sin(s[1]), s[2], s[3]);
  }

  step(action: number): StepResult {
    checkAction('Acrobot', action, 3);
    if (!this.state) throw new Error('Acrobot.step: call reset() before step()');
    if (this.done) throw new Error('Acrobot.step: the episode is over; call reset()');
    const ns = rk4(this.state, torques[action], dt);
    ns[0] = wrap(ns[0], -Math.PI, Math.PI);
    ns[1] = wrap(ns[1], -Math.PI, Math.PI);
    ns[2] = bound(ns[2], -maxVel1, maxVel1);
    ns[3] = bound(ns[3], -maxVel2, maxVel2);
    this.state = ns;
    this.elapsed++;
    // the free end is more than one link length above the pivot: −cos θ1 − cos(θ1 + θ2) > 1
    const terminated = -Math.cos(ns[0]) - Math.cos(ns[1] + ns[0]) > 1.0;
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    this.done = terminated || truncated;
    return { observation: this.observation(), reward: terminated ? 0.0 : -1.0, terminated, truncated };
  }

  getState(): number[] {
    if (!this.state) throw new Error('Acrobot.getState: call reset() first');
    return Array.from(this.state);
  }

  setState(state: number[], elapsedSteps = 0): void {
    checkState('Acrobot', state, 4);
    this.state = Float64Array.from(state);
    this.elapsed = elapsedSteps;
    this.done = false;
  }

  render(): string {
    if (!this.state) throw new Error('Acrobot.render: call reset() first');
    return asciiAcrobot(Array.from(this.state));
  }
}
