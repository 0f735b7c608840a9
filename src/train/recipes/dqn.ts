// The DQN recipe: several independent runs (seeds seed, seed+1, …) on a classic-control task, each stopping when
// solved (mean greedy return ≥ the task's threshold over 100 episodes) or at its step budget; the summary reports
// the mean number of environment steps the solved runs needed. Each seed's agent is saved as a checkpoint
// (online Q-network under plain names, target network and Adam state alongside).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed } from '../../random.ts';
import { CartPole, Acrobot, MountainCar, type StatefulEnv } from '../../rl/index.ts';
import { DqnAgent, trainDqn, evaluate, dqnDefaults, type DqnConfig } from '../../rl/dqn.ts';
import { readSafetensors } from '../../io/safetensors.ts';
import type { Summary } from '../run.ts';
import { Progress } from '../progress.ts';
import { startRun, type TrainRun } from '../loop.ts';
import { saveCheckpoint, loadCheckpoint } from '../checkpoint.ts';
import type { Recipe, TrainOptions, EvalOptions } from '../recipe.ts';

export type DqnEnvName = 'cartpole' | 'acrobot' | 'mountaincar';

export interface DqnEnvInfo {
  /** Gymnasium's id. */
  id: string;
  make(): StatefulEnv;
  /** Gymnasium's render_fps for the task (real time). */
  renderFps: number;
}

export const dqnEnvs: Record<DqnEnvName, DqnEnvInfo> = {
  cartpole: { id: 'CartPole-v1', make: () => new CartPole(), renderFps: 50 },
  acrobot: { id: 'Acrobot-v1', make: () => new Acrobot(), renderFps: 15 },
  mountaincar: { id: 'MountainCar-v0', make: () => new MountainCar(), renderFps: 30 },
};

/** 'cartpole', 'CartPole-v1', 'mountain-car', … → the env's short name; unknown names are an error. */
export function dqnEnvName(s: string): DqnEnvName {
  const k = s.toLowerCase().replace(/-v\d+$/, '').replace(/[-_ ]/g, '');
  if (k in dqnEnvs) return k as DqnEnvName;
  throw new Error(`dqn: unknown environment '${s}'; one of ${Object.entries(dqnEnvs).map(([n, e]) => `${n} (${e.id})`).join(', ')}`);
}

/** The recipe's settings: the agent's (DqnConfig), the environment (--dataset) and the number of seeds. */
export interface DqnRecipeConfig extends DqnConfig {
  dataset: DqnEnvName;
  /** Independent runs with seeds seed, seed+1, …. */
  seeds: number;
}

function recipeConfig(dataset: DqnEnvName, c: DqnConfig): DqnRecipeConfig {
  return { dataset, seeds: 5, ...c, hidden: [...c.hidden] };
}

/**
 * Per-task defaults. CartPole: dqnDefaults (rl-baselines3-zoo's CartPole-v1 entry). Acrobot and MountainCar:
 * rl-baselines3-zoo's tuned DQN entries (hyperparams/dqn.yml; Acrobot's gradient_steps −1 with train_freq 4 means
 * 4 gradient steps per 4 env steps), with the tasks' usual "solved" thresholds.
 */
export const dqnRecipeDefaults: Record<DqnEnvName, DqnRecipeConfig> = {
  cartpole: recipeConfig('cartpole', dqnDefaults),
  acrobot: recipeConfig('acrobot', {
    ...dqnDefaults, hidden: [256, 256], lr: 6.3e-4, batchSize: 128, bufferSize: 50_000, learningStarts: 0,
    gamma: 0.99, targetUpdateInterval: 250, trainFreq: 4, gradientSteps: 4, explorationFraction: 0.12,
    explorationFinalEps: 0.1, maxSteps: 100_000, evalInterval: 5_000, solveThreshold: -100,
  }),
  mountaincar: recipeConfig('mountaincar', {
    ...dqnDefaults, hidden: [256, 256], lr: 4e-3, batchSize: 128, bufferSize: 10_000, learningStarts: 1000,
    gamma: 0.98, targetUpdateInterval: 600, trainFreq: 16, gradientSteps: 8, explorationFraction: 0.2,
    explorationFinalEps: 0.07, maxSteps: 120_000, evalInterval: 5_000, solveThreshold: -110,
  }),
};

export function agentConfig(cfg: DqnRecipeConfig, seed: number): DqnConfig {
  const { dataset: _d, seeds: _s, ...agent } = cfg;
  return { ...agent, hidden: [...cfg.hidden], seed };
}

/** What a DQN checkpoint's `config` holds: enough to rebuild the agent and its environment. */
export interface DqnCheckpointConfig {
  model: 'dqn';
  env: DqnEnvName;
  envId: string;
  obsSize: number;
  actionCount: number;
  agent: DqnConfig;
}

export interface DqnSeedResult {
  seed: number;
  /** Environment steps when first solved, or null. */
  stepsToSolve: number | null;
  /** Environment steps taken. */
  steps: number;
  episodes: number;
  updates: number;
  /** Mean and std of the greedy return over solveEpisodes episodes at the end (the solving evaluation if solved). */
  finalMeanReturn: number;
  finalStdReturn: number;
  seconds: number;
}

export const checkpointName = (seed: number) => `checkpoint-seed${seed}.safetensors`;

/** One seed's run, to the end of its budget or until solved; null when a signal stopped it first. */
async function trainOneSeed(tr: TrainRun<DqnRecipeConfig, undefined>, seed: number, stop: () => boolean): Promise<DqnSeedResult | null> {
  const cfg = tr.cfg;
  manualSeed(seed);
  const info = dqnEnvs[cfg.dataset];
  const env = info.make(), evalEnv = info.make();
  const agentCfg = agentConfig(cfg, seed);
  const progress = new Progress(`dqn ${info.id} seed ${seed}`, 0);
  const t0 = Date.now();
  let windowStart = t0, windowStep = 0, episode = 0, lastLoss = NaN;
  const res = await trainDqn(env, agentCfg, {
    shouldStop: stop,
    onEpisode: (e) => {
      episode = e.episode;
      tr.log({ step: e.step, epoch: e.episode, seed, episodeReturn: e.return, episodeLength: e.length, eps: e.epsilon });
    },
    onLog: (step, m) => {
      if ('evalReturn' in m) {
        tr.log({ step, epoch: episode, seed, ...m });
        progress.log(`dqn ${info.id} seed ${seed} step ${step}: greedy return ${m.evalReturn.toFixed(1)} over ${cfg.evalEpisodes} episodes` +
          ('solveCheckReturn' in m ? `, ${m.solveCheckReturn.toFixed(1)} over ${cfg.solveEpisodes}` : ''));
        return;
      }
      if (Number.isFinite(m.loss)) lastLoss = m.loss;
      const now = Date.now();
      const sps = ((step - windowStep) * 1000) / Math.max(1, now - windowStart);
      windowStart = now; windowStep = step;
      tr.log({ step, epoch: episode, seed, loss: m.loss, meanQ: m.meanQ, eps: m.epsilon, recentReturn: m.recentReturn, updates: m.updates, stepsPerSec: sps });
      progress.update({ step, total: cfg.maxSteps, epoch: episode, loss: lastLoss, lr: cfg.lr, examplesPerSec: sps, unit: 'steps', extra: { eps: m.epsilon, return: m.recentReturn } });
    },
  }, { evalEnv });
  progress.done();
  if (res.stopped) return null;
  // the final evaluation (solveEpisodes greedy episodes, as in the periodic solve check) counts too: a run whose
  // agent passes it at the end of its budget solved the task within that budget
  const stepsToSolve = res.stepsToSolve ?? (res.meanReturn >= cfg.solveThreshold ? res.steps : null);
  const result: DqnSeedResult = {
    seed, stepsToSolve, steps: res.steps, episodes: res.episodes, updates: res.agent.updates,
    finalMeanReturn: res.meanReturn, finalStdReturn: res.stdReturn, seconds: (Date.now() - t0) / 1000,
  };
  const ckptConfig: DqnCheckpointConfig = {
    model: 'dqn', env: cfg.dataset, envId: info.id, obsSize: env.observationSize, actionCount: env.actionCount, agent: agentCfg,
  };
  // the agent, for `deepten play` and `deepten eval`: online network, target network and Adam state
  saveCheckpoint(tr.path(checkpointName(seed)), { model: res.agent.online, optimizer: res.agent.optimizer }, {
    step: res.steps, epoch: res.episodes, config: ckptConfig, extra: { target: res.agent.target.stateDict(), result },
  });
  tr.log({ step: res.steps, epoch: res.episodes, seed, finalMeanReturn: res.meanReturn, finalStdReturn: res.stdReturn, stepsToSolve: stepsToSolve ?? undefined, seconds: result.seconds });
  progress.log(`dqn ${info.id} seed ${seed}: ${stepsToSolve !== null ? `solved at step ${stepsToSolve}` : `not solved in ${res.steps} steps`}, ` +
    `greedy return ${res.meanReturn.toFixed(1)} ± ${res.stdReturn.toFixed(1)} over ${cfg.solveEpisodes} episodes, ${result.seconds.toFixed(0)} s`);
  return result;
}

/**
 * Seeds seed, seed+1, … one per step of the shared loop: the run's checkpoint (after each seed) holds the finished
 * seeds' results, so a stopped run resumes at the seed it was in, which restarts from scratch.
 */
export async function trainDqnRecipe(opts: TrainOptions): Promise<Summary> {
  const tr = await startRun({
    model: 'dqn',
    defaults: (o) => dqnRecipeDefaults[dqnEnvName(o.set?.dataset ?? o.dataset ?? 'cartpole')],
    prepare: (cfg) => {
      cfg.dataset = dqnEnvName(cfg.dataset); // 'CartPole-v1' and the like name the same task
      if (!Number.isInteger(cfg.seeds) || cfg.seeds < 1) throw new Error(`dqn: seeds must be a positive integer, got ${cfg.seeds}`);
      new DqnAgent(1, 1, agentConfig(cfg, cfg.seed)); // checks the agent's settings
      return undefined;
    },
  }, opts);
  const cfg = tr.cfg;
  const info = dqnEnvs[cfg.dataset];
  const results: DqnSeedResult[] = [];
  // the run's own checkpoint holds no network of its own: a placeholder module keeps the shared format
  const nothing = { stateDict: () => ({}), loadStateDict: () => undefined };
  try {
    await tr.loop({
      parts: { model: nothing },
      totalSteps: cfg.seeds,
      logEvery: 1,
      step: async (ctx) => {
        const r = await trainOneSeed(tr, cfg.seed + ctx.step, ctx.stopRequested);
        if (!r) return { loss: 0, aborted: true };
        results.push(r);
        return { loss: r.finalMeanReturn, metrics: { seed: r.seed } };
      },
      extra: () => results,
      restore: (extra) => {
        results.push(...(extra as DqnSeedResult[]));
        if (results.length) process.stderr.write(`dqn: resuming ${tr.run.dir}: ${results.length} seed(s) done, ${cfg.seeds - results.length} to run (an interrupted seed restarts from scratch)\n`);
      },
    });
  } catch (e) {
    tr.close();
    throw e;
  }
  const solved = results.filter((r) => r.stepsToSolve !== null);
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
  return tr.finish({
    dataset: info.id, metric: 'steps_to_solve', value: mean(solved.map((r) => r.stepsToSolve!)),
    steps: results.reduce((s, r) => s + r.steps, 0), trainingSeconds: results.reduce((s, r) => s + r.seconds, 0),
    solveThreshold: cfg.solveThreshold, solveEpisodes: cfg.solveEpisodes, maxSteps: cfg.maxSteps,
    seeds: cfg.seeds, seedsRun: results.length, solved: solved.length,
    stepsToSolve: results.map((r) => r.stepsToSolve),
    finalMeanReturn: results.map((r) => r.finalMeanReturn), finalStdReturn: results.map((r) => r.finalStdReturn),
    meanFinalReturn: mean(results.map((r) => r.finalMeanReturn)),
    secondsPerSeed: results.map((r) => r.seconds), perSeed: results,
  });
}

// ---------------------------------------------------------------- loading a trained agent

export interface LoadedDqn {
  agent: DqnAgent;
  env: DqnEnvName;
  info: DqnEnvInfo;
  /** The checkpoint file read (a run directory resolves to its first seed's). */
  file: string;
  config: DqnCheckpointConfig;
}

function resolveCheckpoint(path: string): string {
  if (!existsSync(path)) throw new Error(`dqn: checkpoint ${path} does not exist`);
  if (!statSync(path).isDirectory()) return path;
  let first: number | undefined;
  try { first = JSON.parse(readFileSync(join(path, 'config.json'), 'utf8')).seed; } catch { /* not a run directory */ }
  if (typeof first === 'number' && existsSync(join(path, checkpointName(first)))) return join(path, checkpointName(first));
  const seeds = readdirSync(path).map((f) => /^checkpoint-seed(-?\d+)\.safetensors$/.exec(f)).filter((m) => m).map((m) => Number(m![1]));
  if (!seeds.length) throw new Error(`dqn: ${path} is a directory without DQN checkpoints (checkpoint-seed<N>.safetensors)`);
  return join(path, checkpointName(Math.min(...seeds)));
}

/** Rebuilds a trained agent (online and target networks, Adam state) from a recipe checkpoint or run directory. */
export function loadDqnCheckpoint(path: string): LoadedDqn {
  const file = resolveCheckpoint(path);
  let raw: string | undefined, names: string[];
  try {
    const f = readSafetensors(file);
    raw = f.metadata.deepten;
    names = Object.keys(f.tensors);
  } catch (e) {
    throw new Error(`dqn: cannot read ${file} as a checkpoint: ${(e as Error).message}`);
  }
  const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? ', …' : '');
  if (!raw) throw new Error(`dqn: ${file} is not a DQN agent checkpoint: it holds weights only (${shown}), no deepten training state`);
  let cfg: any;
  try { cfg = JSON.parse(raw).config; } catch { throw new Error(`dqn: ${file}: its deepten metadata is not valid JSON`); }
  if (cfg?.model !== 'dqn') {
    const what = typeof cfg?.model === 'string' ? `model '${cfg.model}'` : typeof cfg?.dataset === 'string' ? `dataset '${cfg.dataset}'` : 'no model name';
    throw new Error(`dqn: ${file} is not a DQN agent checkpoint (its training config has ${what}; tensors ${shown})`);
  }
  const c = cfg as DqnCheckpointConfig;
  // agents saved before the config took the recipe's names
  const legacy = c.agent as DqnConfig & { learningRate?: number; totalSteps?: number };
  if (legacy.lr === undefined && legacy.learningRate !== undefined) legacy.lr = legacy.learningRate;
  if (legacy.maxSteps === undefined && legacy.totalSteps !== undefined) legacy.maxSteps = legacy.totalSteps;
  const env = dqnEnvName(c.env);
  const info = dqnEnvs[env];
  const probe = info.make();
  if (probe.observationSize !== c.obsSize || probe.actionCount !== c.actionCount) {
    throw new Error(`dqn: ${file} is for ${c.obsSize} observations and ${c.actionCount} actions, but ${info.id} has ${probe.observationSize} and ${probe.actionCount}`);
  }
  // no replay buffer is needed to act or evaluate: keep it as small as the config allows
  const agent = new DqnAgent(c.obsSize, c.actionCount, { ...c.agent, bufferSize: c.agent.batchSize });
  const st = loadCheckpoint(file, { model: agent.online, optimizer: agent.optimizer });
  const target = (st.extra as { target?: Map<string, unknown> } | null)?.target;
  if (!(target instanceof Map)) throw new Error(`dqn: ${file} holds no target network`);
  agent.target.loadStateDict(target as any, { strict: true });
  agent.envSteps = st.step;
  return { agent, env, info, file, config: c };
}

/** Greedy episodes of a loaded agent: episode i starts from env.reset(seed + i). */
export async function evalDqnRecipe(opts: EvalOptions & { episodes?: number; seed?: number }): Promise<Record<string, number>> {
  const { agent, env, info, config } = loadDqnCheckpoint(opts.checkpoint);
  if (opts.dataset !== undefined && dqnEnvName(opts.dataset) !== env) {
    throw new Error(`dqn: ${opts.checkpoint} is an agent for ${info.id}, not ${opts.dataset}`);
  }
  const episodes = opts.episodes ?? 100;
  const r = evaluate(agent, info.make(), episodes, opts.seed ?? 0);
  return {
    mean_return: r.meanReturn, std_return: r.stdReturn, min_return: Math.min(...r.returns), max_return: Math.max(...r.returns),
    episodes, solved: r.meanReturn >= config.agent.solveThreshold ? 1 : 0,
  };
}

export const dqn: Recipe = {
  name: 'dqn', title: 'DQN (Double DQN, Huber loss)', task: 'CartPole-v1 (also Acrobot-v1, MountainCar-v0)',
  reference: 'mean return ≥ 475, solved within 5e4 steps', train: trainDqnRecipe, evaluate: evalDqnRecipe,
};
