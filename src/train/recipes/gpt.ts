// `deepten train gpt`: the character GPT on Tiny Shakespeare with nanoGPT's CPU configuration (its README:
// shakespeare_char with --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000
// --lr_decay_iters=2000 --dropout=0.0 --eval_iters=20), through the shared run lifecycle. nanoGPT's training:
// random windows of the training text, AdamW (β 0.9/0.99, weight decay 0.1 on matrices only), gradient clipping 1,
// lr warm-up over 100 iterations then cosine decay to 1e-4; validation loss estimated on 20 random batches.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tensor } from '../../tensor.ts';
import { noGrad } from '../../autograd.ts';
import { manualSeed, Generator, type RngState } from '../../random.ts';
import { crossEntropy } from '../../ops/loss.ts';
import { AdamW, LambdaLR, clipGradNorm } from '../../optim/index.ts';
import { loadTinyShakespeare, ensureDataset, type CharData } from '../../data/index.ts';
import { CharTokenizer } from '../../data/tokenize.ts';
import { GPT, gptDefaults, type GPTConfig } from '../../models/gpt.ts';
import type { LoadedLanguageModel } from '../../models/lm.ts';
import { startRun, resolveWeights } from '../loop.ts';
import { loadWeights } from '../checkpoint.ts';
import type { Recipe, TrainOptions, EvalOptions } from '../recipe.ts';
import type { Summary } from '../run.ts';

export interface GptRecipeConfig {
  dataset: string;
  batchSize: number;
  /** Iterations (optimizer steps). */
  maxSteps: number;
  lr: number;
  minLr: number;
  warmupIters: number;
  lrDecayIters: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
  /** Gradient-norm clipping (0 = off). */
  gradClip: number;
  evalInterval: number;
  /** Batches per split in each validation estimate. */
  evalIters: number;
  seed: number;
  /** The characters of the vocabulary, in id order (filled from the data when a run starts). */
  vocab: string;
  model: Omit<GPTConfig, 'vocabSize'>;
}

const { vocabSize: _v, ...gptModelDefaults } = gptDefaults;

export const gptRecipeDefaults: GptRecipeConfig = {
  dataset: 'tinyshakespeare', batchSize: 12, maxSteps: 2000, lr: 1e-3, minLr: 1e-4, warmupIters: 100, lrDecayIters: 2000,
  beta1: 0.9, beta2: 0.99, weightDecay: 0.1, gradClip: 1, evalInterval: 250, evalIters: 20, seed: 1337, vocab: '',
  model: { ...gptModelDefaults },
};

/** nanoGPT's get_lr: linear warm-up to lr, cosine decay to minLr at lrDecayIters, minLr after. */
export function nanoGptLr(it: number, c: Pick<GptRecipeConfig, 'lr' | 'minLr' | 'warmupIters' | 'lrDecayIters'>): number {
  if (it < c.warmupIters) return (c.lr * (it + 1)) / (c.warmupIters + 1);
  if (it > c.lrDecayIters) return c.minLr;
  const ratio = (it - c.warmupIters) / Math.max(1, c.lrDecayIters - c.warmupIters);
  return c.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (c.lr - c.minLr);
}

/** B random windows of blockSize + 1 characters: inputs x (B, T) and the next characters y (B·T). */
export function randomBatch(data: Int32Array, B: number, T: number, g: Generator): [Tensor, Tensor] {
  if (data.length <= T) throw new Error(`gpt: the text (${data.length} characters) is not longer than the block size ${T}`);
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const s = g.randint(0, data.length - T);
    x.set(data.subarray(s, s + T), b * T);
    y.set(data.subarray(s + 1, s + T + 1), b * T);
  }
  return [new Tensor(x, [B, T]), new Tensor(y, [B * T])];
}

/** Mean loss over `iters` random batches (nanoGPT's estimate_loss), in eval mode. */
function estimateLoss(model: GPT, data: Int32Array, cfg: GptRecipeConfig, iters: number, g: Generator): number {
  let s = 0;
  for (let i = 0; i < iters; i++) {
    const [x, y] = randomBatch(data, cfg.batchSize, cfg.model.blockSize, g);
    s += noGrad(() => crossEntropy(model.forward(x).reshape(-1, model.vocabSize), y).item());
  }
  return s / iters;
}

/** The loss on every character of `data` after the first: consecutive windows of blockSize, each position predicted. */
export function fullLoss(model: GPT, data: Int32Array, blockSize: number, batch = 64): number {
  const was = model.training;
  model.eval();
  let sum = 0, n = 0;
  const starts: number[] = [];
  for (let s = 0; s + 1 < data.length; s += blockSize) starts.push(s);
  noGrad(() => {
    for (let i = 0; i < starts.length; i += batch) {
      // windows of equal length batched together (the last one may be shorter)
      const group = starts.slice(i, i + batch);
      const full = group.filter((s) => s + blockSize < data.length);
      for (const set of [full, group.filter((s) => s + blockSize >= data.length)]) {
        if (!set.length) continue;
        const T = Math.min(blockSize, data.length - 1 - set[0]);
        const x = new Int32Array(set.length * T), y = new Int32Array(set.length * T);
        set.forEach((s, b) => { x.set(data.subarray(s, s + T), b * T); y.set(data.subarray(s + 1, s + T + 1), b * T); });
        sum += crossEntropy(model.forward(new Tensor(x, [set.length, T])).reshape(-1, model.vocabSize), new Tensor(y, [y.length]), { reduction: 'sum' }).item();
        n += y.length;
      }
    }
  });
  model.train(was);
  return sum / n;
}

/** AdamW with nanoGPT's groups: weight decay on every parameter of 2 or more dimensions, none on gains and biases. */
function makeOptimizer(model: GPT, cfg: GptRecipeConfig): AdamW {
  const params = model.parameters();
  return new AdamW([
    { params: params.filter((p) => p.ndim >= 2), weightDecay: cfg.weightDecay },
    { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
  ], { lr: cfg.lr, betas: [cfg.beta1, cfg.beta2] });
}

async function prepare(cfg: GptRecipeConfig, dataDir?: string): Promise<CharData> {
  if (cfg.dataset !== 'tinyshakespeare') throw new Error(`gpt: unknown dataset '${cfg.dataset}' (this recipe trains on tinyshakespeare)`);
  await ensureDataset('tinyshakespeare', { dataDir });
  const d = loadTinyShakespeare({ dataDir });
  if (cfg.vocab && cfg.vocab !== d.tokenizer.chars.join('')) throw new Error('gpt: the saved vocabulary differs from the characters of the data now');
  cfg.vocab = d.tokenizer.chars.join('');
  return d;
}

export async function trainGpt(opts: TrainOptions): Promise<Summary> {
  const tr = await startRun<GptRecipeConfig, CharData>({
    model: 'gpt', defaults: gptRecipeDefaults, prepare: (cfg, o) => prepare(cfg, o.dataDir),
  }, opts);
  const cfg = tr.cfg, data = tr.data;
  manualSeed(cfg.seed);
  const model = new GPT({ ...cfg.model, vocabSize: data.tokenizer.size });
  const optimizer = makeOptimizer(model, cfg);
  const scheduler = new LambdaLR(optimizer, (it: number) => nanoGptLr(it, cfg) / cfg.lr);
  const batches = new Generator(cfg.seed + 1);
  const T = cfg.model.blockSize, B = cfg.batchSize;
  let trainMs = 0;
  model.train();
  let result;
  try {
    result = await tr.loop({
      parts: { model, optimizer, scheduler },
      totalSteps: cfg.maxSteps, evalEvery: cfg.evalInterval, logEvery: 50, unit: 'tok',
      step: () => {
        const t0 = performance.now();
        const [x, y] = randomBatch(data.train, B, T, batches);
        const loss = crossEntropy(model.forward(x).reshape(-1, model.vocabSize), y);
        optimizer.zeroGrad();
        loss.backward();
        if (cfg.gradClip > 0) clipGradNorm(model.parameters(), cfg.gradClip);
        const lr = optimizer.paramGroups[0].lr as number;
        optimizer.step();
        scheduler.step();
        trainMs += performance.now() - t0;
        return { loss: loss.item(), examples: B * T, lr };
      },
      evaluate: ({ step }) => {
        const was = model.training;
        model.eval();
        const g = new Generator(cfg.seed * 7919 + step);
        const m = { trainLoss: estimateLoss(model, data.train, cfg, cfg.evalIters, g), valLoss: estimateLoss(model, data.val, cfg, cfg.evalIters, g) };
        model.train(was);
        return m;
      },
      describe: (m) => `train loss ${m.trainLoss.toFixed(4)}, val loss ${m.valLoss.toFixed(4)}`,
      extra: () => ({ batches: batches.getState(), trainMs }),
      restore: (extra) => {
        const e = extra as { batches: RngState; trainMs: number };
        batches.setState(e.batches);
        trainMs = e.trainMs;
      },
    });
  } catch (e) {
    tr.close();
    throw e;
  }
  const valFull = fullLoss(model, data.val, T);
  return tr.finish({
    metric: 'val_loss', value: result.lastEval?.valLoss ?? NaN, steps: result.step, valLossFull: valFull,
    trainLoss: result.lastEval?.trainLoss ?? NaN, msPerIter: trainMs / Math.max(1, result.step),
    parameters: model.numParameters(),
  });
}

interface SavedGpt { model: GPT; cfg: GptRecipeConfig; tokenizer: CharTokenizer }

/** A GPT run (its directory, or a weights file in one): config.json holds the settings and the vocabulary. */
function loadGpt(checkpoint: string): SavedGpt {
  const file = resolveWeights(checkpoint);
  const dir = statSync(checkpoint).isDirectory() ? checkpoint : dirname(file);
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new Error(`${checkpoint}: not a gpt run: ${dir} has no config.json beside the weights`);
  let saved: any;
  try { saved = JSON.parse(readFileSync(cfgPath, 'utf8')); } catch (e) { throw new Error(`${cfgPath}: not valid JSON (${(e as Error).message})`); }
  if (typeof saved?.vocab !== 'string' || !saved.vocab || typeof saved.model?.nEmbd !== 'number') {
    throw new Error(`${cfgPath}: not a gpt run's settings (no vocab or model.nEmbd)`);
  }
  const cfg: GptRecipeConfig = { ...gptRecipeDefaults, ...saved, model: { ...gptRecipeDefaults.model, ...saved.model } };
  const tokenizer = new CharTokenizer(cfg.vocab);
  const model = new GPT({ ...cfg.model, vocabSize: tokenizer.size });
  const weights = loadWeights(file);
  if (!('transformer.wte.weight' in weights) || !('transformer.h.0.attn.c_attn.weight' in weights)) {
    throw new Error(`${file}: holds no GPT weights (its tensors are ${Object.keys(weights).slice(0, 3).join(', ')}, …)`);
  }
  model.loadStateDict(new Map(Object.entries(weights)));
  return { model: model.eval(), cfg, tokenizer };
}

/** deepten eval gpt: the validation loss over every character of the validation split. */
async function evaluateGpt(opts: EvalOptions): Promise<Record<string, number>> {
  const { model, cfg, tokenizer } = loadGpt(opts.checkpoint);
  await ensureDataset('tinyshakespeare', { dataDir: opts.dataDir });
  const d = loadTinyShakespeare({ dataDir: opts.dataDir });
  if (d.tokenizer.chars.join('') !== tokenizer.chars.join('')) throw new Error(`${opts.checkpoint}: its vocabulary differs from the data's characters`);
  const loss = fullLoss(model, d.val, cfg.model.blockSize);
  return { val_loss: loss, val_perplexity: Math.exp(loss) };
}

export const gpt: Recipe = {
  name: 'gpt',
  title: 'GPT (decoder-only Transformer), character level',
  task: 'Tiny Shakespeare characters',
  reference: 'validation loss 1.88 (nanoGPT, CPU configuration)',
  train: trainGpt,
  evaluate: evaluateGpt,
  languageModel: async (opts: { checkpoint: string }): Promise<LoadedLanguageModel> => {
    const { model, tokenizer } = loadGpt(opts.checkpoint);
    return { model, encode: (s) => tokenizer.encode(s), decode: (ids) => tokenizer.decode(ids) };
  },
};
