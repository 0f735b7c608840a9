// The DQN algorithm (Mnih et al. 2015) with Double-DQN targets (van Hasselt, Guez & Silver 2016): the agent, its
// greedy evaluation and its training loop (the network itself is models/dqn.ts). Acting is ε-greedy on
// Q(s, ·; θ); transitions go to a replay buffer; training regresses Q(s, a; θ) on a bootstrapped target computed with a periodically copied target network θ⁻.
// The defaults are rl-baselines3-zoo's tuned CartPole-v1 hyperparameters, which solve it (mean return ≥ 475 over
// 100 greedy episodes) within 50,000 environment steps.
import { Tensor, tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { Generator, type RngState } from '../random.ts';
import type { StateDict } from '../nn/index.ts';
import { QNetwork } from '../models/dqn.ts';
import { Adam, clipGradNorm, type OptimizerStateDict } from '../optim/index.ts';
import { smoothL1Loss } from '../ops/loss.ts';
import { gather } from '../ops/indexing.ts';
import { ReplayBuffer, type ReplayState } from './replay.ts';
import type { Env } from './env.ts';

export interface DqnConfig {
  /** Hidden layer widths of the Q-network (ReLU after each). */
  hidden: number[];
  lr: number;
  batchSize: number;
  /** Replay buffer capacity. */
  bufferSize: number;
  /** Environment steps taken with uniformly random actions before any training. */
  learningStarts: number;
  /** Discount γ. */
  gamma: number;
  /** The target network is copied from the online one every this many environment steps. */
  targetUpdateInterval: number;
  /** Train every this many environment steps … */
  trainFreq: number;
  /** … with this many gradient steps. */
  gradientSteps: number;
  /** ε falls linearly from explorationInitialEps to explorationFinalEps over this fraction of maxSteps. */
  explorationFraction: number;
  explorationInitialEps: number;
  explorationFinalEps: number;
  /** Gradients are rescaled to at most this global L2 norm. */
  maxGradNorm: number;
  /** Double DQN (online net picks a', target net values it); false gives the original max_a' Q_target. */
  doubleDqn: boolean;
  /** Training budget in environment steps. */
  maxSteps: number;
  /** A greedy evaluation runs at the first episode end after every this many environment steps. */
  evalInterval: number;
  /** Episodes per periodic evaluation. */
  evalEpisodes: number;
  /** "Solved" means a mean greedy return ≥ solveThreshold over solveEpisodes episodes. */
  solveThreshold: number;
  solveEpisodes: number;
  /** Stop training as soon as the task is solved. */
  stopWhenSolved: boolean;
  /** Environment steps between onLog calls. */
  logInterval: number;
  seed: number;
}

/** rl-baselines3-zoo's hyperparameters for DQN on CartPole-v1 (hyperparams/dqn.yml). */
export const dqnDefaults: DqnConfig = {
  hidden: [256, 256],
  lr: 2.3e-3,
  batchSize: 64,
  bufferSize: 100_000,
  learningStarts: 1000,
  gamma: 0.99,
  targetUpdateInterval: 10,
  trainFreq: 256,
  gradientSteps: 128,
  explorationFraction: 0.16,
  explorationInitialEps: 1.0,
  explorationFinalEps: 0.04,
  maxGradNorm: 10,
  doubleDqn: true,
  maxSteps: 50_000,
  evalInterval: 2_500,
  evalEpisodes: 10,
  solveThreshold: 475,
  solveEpisodes: 100,
  stopWhenSolved: true,
  logInterval: 1_000,
  seed: 0,
};

/** ε at a given environment step: linear from `start` to `end` over `duration` steps, then `end`. */
export function linearSchedule(start: number, end: number, duration: number): (step: number) => number {
  return (step) => (duration <= 0 || step >= duration ? end : start + ((end - start) * step) / duration);
}

export interface TrainMetrics {
  loss: number;
  /** Mean Q(s, a) over the batch. */
  meanQ: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export interface DqnAgentState {
  config: DqnConfig;
  online: StateDict;
  target: StateDict;
  optimizer: OptimizerStateDict;
  replay: ReplayState;
  rng: RngState;
  envSteps: number;
  updates: number;
}

function checkConfig(c: DqnConfig): void {
  const positiveInts: (keyof DqnConfig)[] = ['batchSize', 'bufferSize', 'targetUpdateInterval', 'trainFreq', 'gradientSteps', 'evalEpisodes', 'solveEpisodes', 'logInterval', 'evalInterval'];
  for (const k of positiveInts) {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < 1) throw new Error(`DqnConfig: ${k} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(c.maxSteps) || c.maxSteps < 0) throw new Error(`DqnConfig: maxSteps must be a non-negative integer, got ${c.maxSteps}`);
  if (!Number.isInteger(c.learningStarts) || c.learningStarts < 0) throw new Error(`DqnConfig: learningStarts must be a non-negative integer, got ${c.learningStarts}`);
  if (!(c.gamma >= 0 && c.gamma <= 1)) throw new Error(`DqnConfig: gamma must be in [0, 1], got ${c.gamma}`);
  if (c.batchSize > c.bufferSize) throw new Error(`DqnConfig: batchSize ${c.batchSize} exceeds bufferSize ${c.bufferSize}`);
  if (!Array.isArray(c.hidden) || c.hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new Error(`DqnConfig: hidden must list positive layer widths, got ${JSON.stringify(c.hidden)}`);
}

export class DqnAgent {
  readonly config: DqnConfig;
  readonly online: QNetwork;
  readonly target: QNetwork;
  readonly optimizer: Adam;
  readonly replay: ReplayBuffer;
  /** Drives exploration, replay sampling and episode seeds. */
  readonly generator: Generator;
  readonly epsilon: (step: number) => number;
  /** Environment steps taken so far (trainDqn continues from here). */
  envSteps = 0;
  /** Gradient steps taken so far. */
  updates = 0;

  constructor(readonly obsSize: number, readonly actionCount: number, config: Partial<DqnConfig> = {}) {
    this.config = { ...dqnDefaults, ...config };
    checkConfig(this.config);
    const c = this.config;
    this.generator = new Generator(c.seed);
    this.online = new QNetwork(obsSize, actionCount, c.hidden, this.generator);
    this.target = new QNetwork(obsSize, actionCount, c.hidden, this.generator);
    this.syncTarget();
    this.target.requiresGrad_(false);
    this.optimizer = new Adam(this.online.parameters(), { lr: c.lr });
    this.replay = new ReplayBuffer(c.bufferSize, obsSize);
    this.epsilon = linearSchedule(c.explorationInitialEps, c.explorationFinalEps, c.explorationFraction * c.maxSteps);
  }

  /** Q(s, ·) for one observation. */
  qValues(obs: ArrayLike<number>): Float32Array {
    if (obs.length !== this.obsSize) throw new Error(`DqnAgent.qValues: observation has ${obs.length} values, expected ${this.obsSize}`);
    return noGrad(() => this.online.forward(tensor(Float32Array.from(obs), { shape: [1, this.obsSize] })).data as Float32Array);
  }

  /** ε-greedy: a uniformly random action with probability eps, else argmax_a Q(s, a). */
  act(obs: ArrayLike<number>, eps = 0): number {
    if (eps > 0 && this.generator.random() < eps) return this.generator.randint(0, this.actionCount);
    const q = this.qValues(obs);
    let best = 0;
    for (let a = 1; a < q.length; a++) if (q[a] > q[best]) best = a;
    return best;
  }

  /** Hard update θ⁻ ← θ. */
  syncTarget(): void {
    this.target.loadStateDict(this.online.stateDict());
  }

  /** One gradient step on a uniformly sampled replay batch. */
  trainStep(): TrainMetrics {
    const c = this.config;
    const B = c.batchSize, n = this.obsSize;
    const batch = this.replay.sample(B, this.generator);
    const s = tensor(batch.obs, { shape: [B, n] });
    const s2 = tensor(batch.nextObs, { shape: [B, n] });
    const a = tensor(batch.actions, { shape: [B, 1] });
    const r = tensor(batch.rewards, { shape: [B] });
    const done = tensor(batch.dones, { shape: [B] });

    const y = noGrad(() => {
      // Double DQN:  a* = argmax_a' Q(s', a'; θ),  y = r + γ·(1 − terminated)·Q(s', a*; θ⁻)
      // (DQN:        y = r + γ·(1 − terminated)·max_a' Q(s', a'; θ⁻))
      const qNextTarget = this.target.forward(s2);
      const aStar = c.doubleDqn ? this.online.forward(s2).argmax(1, true) : qNextTarget.argmax(1, true);
      const qNext = gather(qNextTarget, 1, aStar).reshape([B]);
      return r.add(done.neg().add(1).mul(qNext).mul(c.gamma));
    });

    // L(θ) = mean_i Huber_1(Q(s_i, a_i; θ) − y_i), Huber_1(d) = d²/2 if |d| < 1 else |d| − 1/2 (smooth L1, β = 1)
    const q = gather(this.online.forward(s), 1, a).reshape([B]);
    const loss = smoothL1Loss(q, y);
    this.optimizer.zeroGrad();
    loss.backward();
    const gradNorm = clipGradNorm(this.online.parameters(), c.maxGradNorm);
    this.optimizer.step();
    this.updates++;
    let meanQ = 0;
    for (let i = 0; i < B; i++) meanQ += q.data[i] / B;
    return { loss: loss.item(), meanQ, gradNorm };
  }

  /** Everything needed to resume training: both networks, Adam's moments, the replay buffer, the generator. */
  stateDict(): DqnAgentState {
    return {
      config: { ...this.config, hidden: [...this.config.hidden] },
      online: this.online.stateDict(), target: this.target.stateDict(), optimizer: this.optimizer.stateDict(),
      replay: this.replay.stateDict(), rng: this.generator.getState(), envSteps: this.envSteps, updates: this.updates,
    };
  }

  loadStateDict(s: DqnAgentState): void {
    if (s.config.hidden.join(',') !== this.config.hidden.join(',')) {
      throw new Error(`DqnAgent.loadStateDict: state has hidden layers [${s.config.hidden}], this agent [${this.config.hidden}]`);
    }
    this.online.loadStateDict(s.online);
    this.target.loadStateDict(s.target);
    this.optimizer.loadStateDict(s.optimizer);
    this.replay.loadStateDict(s.replay);
    this.generator.setState(s.rng);
    this.envSteps = s.envSteps;
    this.updates = s.updates;
  }
}

export interface EvalResult {
  meanReturn: number;
  stdReturn: number;
  returns: number[];
  lengths: number[];
}

/** Greedy returns over `episodes` episodes; episode i starts from env.reset(seed + i). */
export function evaluate(agent: DqnAgent, env: Env, episodes: number, seed = 0): EvalResult {
  if (!Number.isInteger(episodes) || episodes < 1) throw new Error(`evaluate: episodes must be a positive integer, got ${episodes}`);
  const returns: number[] = [], lengths: number[] = [];
  for (let i = 0; i < episodes; i++) {
    let obs = env.reset(seed + i);
    let total = 0, len = 0;
    for (;;) {
      const r = env.step(agent.act(obs, 0));
      total += r.reward;
      len++;
      obs = r.observation;
      if (r.terminated || r.truncated) break;
    }
    returns.push(total);
    lengths.push(len);
  }
  const mean = returns.reduce((x, y) => x + y, 0) / episodes;
  const std = Math.sqrt(returns.reduce((x, y) => x + (y - mean) ** 2, 0) / episodes);
  return { meanReturn: mean, stdReturn: std, returns, lengths };
}

export interface EpisodeInfo {
  episode: number;
  /** Environment steps so far. */
  step: number;
  return: number;
  length: number;
  epsilon: number;
}

export interface DqnHooks {
  onEpisode?(info: EpisodeInfo): void;
  onLog?(step: number, metrics: Record<string, number>): void;
  /** Polled every environment step; true ends training (e.g. on a signal). The loop yields to the event loop every 0.1 s. */
  shouldStop?(): boolean;
}

export interface DqnOptions {
  /** Environment for evaluations (default: the training env, between episodes). */
  evalEnv?: Env;
  /** Continue training this agent (from agent.envSteps) instead of a new one. */
  agent?: DqnAgent;
}

export interface DqnResult {
  agent: DqnAgent;
  /** Environment steps when the task was first solved, or null. */
  stepsToSolve: number | null;
  /** Mean greedy return over solveEpisodes episodes of the returned agent. */
  meanReturn: number;
  stdReturn: number;
  steps: number;
  episodes: number;
  episodeReturns: number[];
  evaluations: { step: number; meanReturn: number }[];
  stopped: boolean;
}

// seeds for evaluation episodes, away from the training episodes' seeds
const EVAL_SEED = 1_000_000;
const SOLVE_SEED = 2_000_000;

/**
 * The DQN training loop (as Stable-Baselines3 runs it): random actions for learningStarts steps, then ε-greedy;
 * every trainFreq steps, gradientSteps updates; every targetUpdateInterval steps, θ⁻ ← θ. Episodes cut by the
 * time limit are stored as non-terminal, so their last value is still bootstrapped.
 */
export async function trainDqn(env: Env, config: Partial<DqnConfig> = {}, hooks: DqnHooks = {}, opts: DqnOptions = {}): Promise<DqnResult> {
  const agent = opts.agent ?? new DqnAgent(env.observationSize, env.actionCount, config);
  if (agent.obsSize !== env.observationSize || agent.actionCount !== env.actionCount) {
    throw new Error(`trainDqn: agent is for ${agent.obsSize} observations and ${agent.actionCount} actions, env has ${env.observationSize} and ${env.actionCount}`);
  }
  const c = agent.config;
  const evalEnv = opts.evalEnv ?? env;
  const g = agent.generator;
  const evaluations: { step: number; meanReturn: number }[] = [];
  const episodeReturns: number[] = [];
  let stepsToSolve: number | null = null;
  let solvedEval: EvalResult | null = null;
  let lastEval = agent.envSteps;
  let stopped = false;
  let recentLoss = 0, recentQ = 0, recentCount = 0;

  let obs = env.reset(g.nextU32());
  let epReturn = 0, epLen = 0, lastYield = Date.now();
  while (agent.envSteps < c.maxSteps) {
    // give the event loop a turn now and then, so a signal handler can run and ask to stop
    if (Date.now() - lastYield > 100) { await new Promise((r) => setImmediate(r)); lastYield = Date.now(); }
    if (hooks.shouldStop?.()) { stopped = true; break; }
    const step = agent.envSteps;
    const eps = agent.epsilon(step);
    const action = step < c.learningStarts ? g.randint(0, env.actionCount) : agent.act(obs, eps);
    const res = env.step(action);
    agent.replay.add(obs, action, res.reward, res.observation, res.terminated);
    obs = res.observation;
    epReturn += res.reward;
    epLen++;
    agent.envSteps++;
    const t = agent.envSteps;

    if (t % c.targetUpdateInterval === 0) agent.syncTarget();
    if (t > c.learningStarts && t % c.trainFreq === 0 && agent.replay.size >= c.batchSize) {
      for (let k = 0; k < c.gradientSteps; k++) {
        const m = agent.trainStep();
        recentLoss += m.loss; recentQ += m.meanQ; recentCount++;
      }
    }
    if (hooks.onLog && t % c.logInterval === 0) {
      const last = episodeReturns.slice(-10);
      hooks.onLog(t, {
        epsilon: agent.epsilon(t), episodes: episodeReturns.length, updates: agent.updates,
        loss: recentCount ? recentLoss / recentCount : NaN, meanQ: recentCount ? recentQ / recentCount : NaN,
        recentReturn: last.length ? last.reduce((x, y) => x + y, 0) / last.length : NaN,
      });
      recentLoss = recentQ = recentCount = 0;
    }

    if (res.terminated || res.truncated) {
      episodeReturns.push(epReturn);
      hooks.onEpisode?.({ episode: episodeReturns.length, step: t, return: epReturn, length: epLen, epsilon: eps });
      epReturn = 0; epLen = 0;
      if (t > c.learningStarts && t - lastEval >= c.evalInterval) {
        lastEval = t;
        const ev = evaluate(agent, evalEnv, c.evalEpisodes, EVAL_SEED + t);
        evaluations.push({ step: t, meanReturn: ev.meanReturn });
        // a short evaluation that passes is confirmed with the full solveEpisodes
        if (stepsToSolve === null && ev.meanReturn >= c.solveThreshold) {
          const full = evaluate(agent, evalEnv, c.solveEpisodes, SOLVE_SEED);
          hooks.onLog?.(t, { evalReturn: ev.meanReturn, solveCheckReturn: full.meanReturn });
          if (full.meanReturn >= c.solveThreshold) {
            stepsToSolve = t;
            solvedEval = full;
            if (c.stopWhenSolved) break;
          }
        } else {
          hooks.onLog?.(t, { evalReturn: ev.meanReturn });
        }
      }
      obs = env.reset(g.nextU32());
    }
  }
  const final = solvedEval && c.stopWhenSolved ? solvedEval : evaluate(agent, evalEnv, c.solveEpisodes, SOLVE_SEED);
  return {
    agent, stepsToSolve, meanReturn: final.meanReturn, stdReturn: final.stdReturn, steps: agent.envSteps,
    episodes: episodeReturns.length, episodeReturns, evaluations, stopped,
  };
}
