// The DQN recipe: several independent runs (seeds seed, seed+1, …) on a classic-control task, each stopping when
// solved (mean greedy return ≥ the task's threshold over 100 episodes) or at its step budget; the summary reports
// the mean number of environment steps the solved runs needed. Each seed's agent is saved as a checkpoint
// (online Q-network under plain names, target network and Adam state alongside).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed } from '../../random.ts';
import { backendName } from '../../backend/index.ts';
import { CartPole, Acrobot, MountainCar, type StatefulEnv } from '../../rl/index.ts';
import { DqnAgent, trainDqn, evaluate, dqnDefaults, type DqnConfig } from '../../models/dqn.ts';
import { readSafetensors } from '../../io/safetensors.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { Run, type Summary } from '../run.ts';
import { Progress } from '../progress.ts';
import { applyOverrides } from '../overrides.ts';
import { saveCheckpoint, loadCheckpoint } from '../checkpoint.ts';
import { catalog } from '../catalog.ts';
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

/** The recipe's settings: DqnConfig's, with the CLI's names for the common ones (--lr, --batch-size, --max-steps, --seed). */
export interface DqnRecipeConfig extends Omit<DqnConfig, 'learningRate' | 'totalSteps' | 'seed'> {
  /** The environment (--dataset). */
  dataset: DqnEnvName;
  /** Independent runs with seeds seed, seed+1, …. */
  seeds: number;
  seed: number;
  /** Environment-step budget per seed (DqnConfig.totalSteps; ε decays over explorationFraction of it). */
  maxSteps: number;
  lr: number;
}

function recipeConfig(dataset: DqnEnvName, c: DqnConfig): DqnRecipeConfig {
  const { learningRate, totalSteps, seed, ...rest } = c;
  return { dataset, seeds: 5, seed, maxSteps: totalSteps, lr: learningRate, ...rest, hidden: [...c.hidden] };
}

/**
 * Per-task defaults. CartPole: dqnDefaults (rl-baselines3-zoo's CartPole-v1 entry). Acrobot and MountainCar:
 * rl-baselines3-zoo's tuned DQN entries (hyperparams/dqn.yml; Acrobot's gradient_steps −1 with train_freq 4 means
 * 4 gradient steps per 4 env steps), with the tasks' usual "solved" thresholds.
 */
export const dqnRecipeDefaults: Record<DqnEnvName, DqnRecipeConfig> = {
  cartpole: recipeConfig('cartpole', dqnDefaults),
  acrobot: recipeConfig('acrobot', {
    ...dqnDefaults, hidden: [256, 256], learningRate: 6.3e-4, batchSize: 128, bufferSize: 50_000, learningStarts: 0,
    gamma: 0.99, targetUpdateInterval: 250, trainFreq: 4, gradientSteps: 4, explorationFraction: 0.12,
    explorationFinalEps: 0.1, totalSteps: 100_000, evalInterval: 5_000, solveThreshold: -100,
  }),
  mountaincar: recipeConfig('mountaincar', {
    ...dqnDefaults, hidden: [256, 256], learningRate: 4e-3, batchSize: 128, bufferSize: 10_000, learningStarts: 1000,
    gamma: 0.98, targetUpdateInterval: 600, trainFreq: 16, gradientSteps: 8, explorationFraction: 0.2,
    explorationFinalEps: 0.07, totalSteps: 120_000, evalInterval: 5_000, solveThreshold: -110,
  }),
};

export function agentConfig(cfg: DqnRecipeConfig, seed: number): DqnConfig {
  const { dataset: _d, seeds: _s, seed: _seed, maxSteps, lr, ...rest } = cfg;
  return { ...rest, hidden: [...cfg.hidden], learningRate: lr, totalSteps: maxSteps, seed };
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

/** The result stored in a finished seed's checkpoint, or null when that seed has no checkpoint yet. */
function finishedSeed(run: Run, seed: number): DqnSeedResult | null {
  const p = run.path(checkpointName(seed));
  if (!existsSync(p)) return null;
  const meta = JSON.parse(readSafetensors(p).metadata.deepten ?? 'null');
  return (meta?.extra?.result as DqnSeedResult | undefined) ?? null;
}

/** Drops metrics lines of the given seeds (an interrupted seed is rerun from scratch on --resume). */
function dropSeedMetrics(run: Run, seeds: Set<number>): void {
  const p = run.path('metrics.jsonl');
  if (!existsSync(p)) return;
  const kept = readFileSync(p, 'utf8').split('\n').filter((l) => l && !seeds.has(JSON.parse(l).seed));
  writeFileAtomic(p, kept.map((l) => l + '\n').join(''));
}

function trainOneSeed(cfg: DqnRecipeConfig, seed: number, run: Run): DqnSeedResult {
  manualSeed(seed);
  const info = dqnEnvs[cfg.dataset];
  const env = info.make(), evalEnv = info.make();
  const agentCfg = agentConfig(cfg, seed);
  const progress = new Progress(`dqn ${info.id} seed ${seed}`, 0);
  const t0 = Date.now();
  let windowStart = t0, windowStep = 0, episode = 0, lastLoss = NaN;
  const res = trainDqn(env, agentCfg, {
    onEpisode: (e) => {
      episode = e.episode;
      run.logMetrics({ step: e.step, epoch: e.episode, seed, episodeReturn: e.return, episodeLength: e.length, eps: e.epsilon });
    },
    onLog: (step, m) => {
      if ('evalReturn' in m) {
        run.logMetrics({ step, epoch: episode, seed, ...m });
        progress.log(`dqn ${info.id} seed ${seed} step ${step}: greedy return ${m.evalReturn.toFixed(1)} over ${cfg.evalEpisodes} episodes` +
          ('solveCheckReturn' in m ? `, ${m.solveCheckReturn.toFixed(1)} over ${cfg.solveEpisodes}` : ''));
        return;
      }
      if (Number.isFinite(m.loss)) lastLoss = m.loss;
      const now = Date.now();
      const sps = ((step - windowStep) * 1000) / Math.max(1, now - windowStart);
      windowStart = now; windowStep = step;
      run.logMetrics({ step, epoch: episode, seed, loss: m.loss, meanQ: m.meanQ, eps: m.epsilon, recentReturn: m.recentReturn, updates: m.updates, stepsPerSec: sps });
      progress.update({ step, total: cfg.maxSteps, epoch: episode, loss: lastLoss, lr: cfg.lr, examplesPerSec: sps, extra: { eps: m.epsilon, return: m.recentReturn } });
    },
  }, { evalEnv });
  progress.done();
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
  saveCheckpoint(run.path(checkpointName(seed)), { model: res.agent.online, optimizer: res.agent.optimizer }, {
    step: res.steps, epoch: res.episodes, config: ckptConfig, extra: { target: res.agent.target.stateDict(), result },
  });
  run.logMetrics({ step: res.steps, epoch: res.episodes, seed, finalMeanReturn: res.meanReturn, finalStdReturn: res.stdReturn, stepsToSolve: stepsToSolve ?? undefined, seconds: result.seconds });
  progress.log(`dqn ${info.id} seed ${seed}: ${stepsToSolve !== null ? `solved at step ${stepsToSolve}` : `not solved in ${res.steps} steps`}, ` +
    `greedy return ${res.meanReturn.toFixed(1)} ± ${res.stdReturn.toFixed(1)} over ${cfg.solveEpisodes} episodes, ${result.seconds.toFixed(0)} s`);
  return result;
}

export async function trainDqnRecipe(opts: TrainOptions): Promise<Summary> {
  let run: Run, cfg: DqnRecipeConfig;
  if (opts.resume) {
    const given = (['epochs', 'maxSteps', 'batchSize', 'lr', 'seed', 'dataset', 'set'] as const).filter((k) => opts[k] !== undefined);
    if (given.length) throw new Error(`dqn: --resume continues a run with its own config; drop ${given.map((k) => k === 'set' ? '--set' : `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`).join(', ')}`);
    run = Run.open('dqn', { resume: opts.resume, config: null });
    cfg = run.config<DqnRecipeConfig>();
    if (!cfg || !(cfg.dataset in dqnEnvs) || typeof cfg.seeds !== 'number') throw new Error(`dqn: --resume ${opts.resume}: not a dqn run directory (its config.json has no dqn settings)`);
  } else {
    const name = dqnEnvName(opts.set?.dataset ?? opts.dataset ?? 'cartpole');
    cfg = applyOverrides(structuredClone(dqnRecipeDefaults[name]), opts);
    cfg.dataset = name;
    if (!Number.isInteger(cfg.seeds) || cfg.seeds < 1) throw new Error(`dqn: seeds must be a positive integer, got ${cfg.seeds}`);
    new DqnAgent(1, 1, agentConfig(cfg, cfg.seed)); // checks the config before a run directory is created
    run = Run.open('dqn', { out: opts.out, config: cfg });
  }
  const info = dqnEnvs[cfg.dataset];
  const results: DqnSeedResult[] = [];
  const todo: number[] = [];
  for (let s = 0; s < cfg.seeds; s++) {
    const seed = cfg.seed + s;
    const done = opts.resume ? finishedSeed(run, seed) : null;
    if (done) results.push(done); else todo.push(seed);
  }
  if (opts.resume) {
    dropSeedMetrics(run, new Set(todo));
    process.stderr.write(`dqn: resuming ${run.dir}: ${results.length} seed(s) done, ${todo.length} to run (an interrupted seed restarts from scratch)\n`);
  }
  // No SIGINT handler: training runs synchronously, so a handler would only run once every seed is done. Ctrl-C
  // ends the process at once; each finished seed's checkpoint is already on disk and --resume reruns the others.
  for (const seed of todo) results.push(trainOneSeed(cfg, seed, run));
  results.sort((a, b) => a.seed - b.seed);
  const solved = results.filter((r) => r.stepsToSolve !== null);
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
  const summary: Summary = {
    model: 'dqn', dataset: info.id, metric: 'steps_to_solve', value: mean(solved.map((r) => r.stepsToSolve!)),
    steps: results.reduce((s, r) => s + r.steps, 0), seconds: results.reduce((s, r) => s + r.seconds, 0), backend: backendName(), seed: cfg.seed,
    solveThreshold: cfg.solveThreshold, solveEpisodes: cfg.solveEpisodes, maxSteps: cfg.maxSteps,
    seeds: cfg.seeds, solved: solved.length,
    stepsToSolve: results.map((r) => r.stepsToSolve),
    finalMeanReturn: results.map((r) => r.finalMeanReturn), finalStdReturn: results.map((r) => r.finalStdReturn),
    meanFinalReturn: mean(results.map((r) => r.finalMeanReturn)),
    secondsPerSeed: results.map((r) => r.seconds), perSeed: results, run: run.dir,
  };
  run.writeSummary(summary);
  return summary;
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

const entry = catalog.find((c) => c.name === 'dqn')!;
export const dqn: Recipe = { ...entry, train: trainDqnRecipe, evaluate: evalDqnRecipe };
