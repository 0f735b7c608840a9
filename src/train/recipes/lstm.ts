// The LSTM language model's recipes. Default: Zaremba, Sutskever & Vinyals 2014, "small", on Penn Treebank —
// 2 layers × 200 units, 20 steps unrolled, batch 20, 13 epochs, every weight ~ U(−0.1, 0.1), no dropout, plain SGD
// with lr 1 halved after each epoch from epoch 5 on, gradient norm clipped at 5; the state is carried from batch to
// batch and detached (truncated BPTT); the test set is read as one stream (batch 1).
// The loss scale matters: the original applies lr 1 to the loss SUMMED over the 20 time steps (averaged over the
// batch), i.e. lr 20 on the per-token mean; 'lossScale: sum' does the same (the mean × T before backward).
// `--set size=medium`: 2 × 650, dropout 0.5, 35 steps, 39 epochs, lr ÷ 1.2 per epoch after epoch 6, U(−0.05, 0.05).
// `--dataset text --data-dir DIR`: any word corpus in PTB's format. `--dataset tinyshakespeare`: characters.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tensor } from '../../tensor.ts';
import { manualSeed } from '../../random.ts';
import { crossEntropy } from '../../ops/loss.ts';
import { reshape } from '../../ops/shape.ts';
import { SGD, Adam, LambdaLR, clipGradNorm, type Optimizer } from '../../optim/index.ts';
import { LstmLanguageModel, detachState } from '../../models/lstm.ts';
import type { LSTMState } from '../../nn/rnn.ts';
import type { LoadedLanguageModel } from '../../models/lm.ts';
import { loadPtb, loadWordCorpus, encodeWordFile, loadTinyShakespeare, Vocab } from '../../data/index.ts';
import { loadWeights } from '../checkpoint.ts';
import { startRun, resolveWeights, checkSavedConfig } from '../loop.ts';
import { StreamBatches, evaluateStream, perplexity, saveVocab, loadVocab, textCodec, VOCAB_FILE, type VocabFile } from '../lm.ts';
import type { Recipe, TrainOptions, EvalOptions } from '../recipe.ts';
import type { Summary } from '../run.ts';

export type LstmDataset = 'ptb' | 'text' | 'tinyshakespeare';

export interface LstmConfig {
  dataset: LstmDataset;
  /** The preset the other defaults came from. */
  size: 'small' | 'medium' | 'char';
  epochs: number;
  batchSize: number;
  /** Time steps per window: the truncation of BPTT. */
  numSteps: number;
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  /** On the non-recurrent connections. */
  dropout: number;
  tieWeights: boolean;
  /** Every parameter ~ U(−initRange, initRange). */
  initRange: number;
  optimizer: 'sgd' | 'adam';
  lr: number;
  /** The lr is divided by lrDecay at the start of each epoch after the first `decayAfter` ones (1 = constant). */
  lrDecay: number;
  decayAfter: number;
  /** Gradient-norm clip (0 = off). */
  clip: number;
  /** 'sum': the loss summed over the window's steps and averaged over the batch (Zaremba et al.); 'mean': per token. */
  lossScale: 'sum' | 'mean';
  /** Streams for the validation pass, and for the test pass (1: the whole split as one stream). */
  evalBatchSize: number;
  testBatchSize: number;
  /** Evaluate on the validation split every this many steps (0: at each epoch end). */
  evalEvery: number;
  seed: number;
  /** Stop after this many steps (0 = all epochs). */
  maxSteps: number;
}

const small: LstmConfig = {
  dataset: 'ptb', size: 'small', epochs: 13, batchSize: 20, numSteps: 20, embedSize: 200, hiddenSize: 200, numLayers: 2,
  dropout: 0, tieWeights: false, initRange: 0.1, optimizer: 'sgd', lr: 1, lrDecay: 2, decayAfter: 4, clip: 5,
  lossScale: 'sum', evalBatchSize: 20, testBatchSize: 1, evalEvery: 0, seed: 1, maxSteps: 0,
};

export const LSTM_PRESETS: Record<LstmConfig['size'], LstmConfig> = {
  small,
  medium: { ...small, size: 'medium', epochs: 39, numSteps: 35, embedSize: 650, hiddenSize: 650, dropout: 0.5, initRange: 0.05, lrDecay: 1.2, decayAfter: 6 },
  // characters (Tiny Shakespeare, 65 symbols): 2 × 384 with Adam on the per-character mean loss, 100 steps unrolled,
  // validated every 100 steps (~1/3 epoch) for the learning curve in the README
  char: {
    ...small, dataset: 'tinyshakespeare', size: 'char', epochs: 10, batchSize: 32, numSteps: 100, embedSize: 64, hiddenSize: 384,
    dropout: 0, optimizer: 'adam', lr: 2e-3, lrDecay: 1, decayAfter: 0, lossScale: 'mean', evalBatchSize: 32, testBatchSize: 32, evalEvery: 100,
  },
};

const schema = {
  choices: { dataset: ['ptb', 'text', 'tinyshakespeare'], size: ['small', 'medium', 'char'], optimizer: ['sgd', 'adam'], lossScale: ['sum', 'mean'] },
};

function defaults(opts: TrainOptions): LstmConfig {
  const size = opts.set?.size ?? (opts.dataset === 'tinyshakespeare' ? 'char' : 'small');
  return structuredClone(LSTM_PRESETS[size as LstmConfig['size']] ?? small);
}

/** One error naming the setting when a number is out of range. */
function checkConfig(c: LstmConfig): void {
  const posInt: (keyof LstmConfig)[] = ['epochs', 'batchSize', 'numSteps', 'embedSize', 'hiddenSize', 'numLayers', 'evalBatchSize', 'testBatchSize'];
  for (const k of posInt) if (!(Number.isInteger(c[k]) && (c[k] as number) >= 1)) throw new Error(`lstm: ${k} must be a positive integer, got ${c[k]}`);
  for (const k of ['maxSteps', 'evalEvery', 'decayAfter', 'seed'] as const) if (!(Number.isInteger(c[k]) && c[k] >= 0)) throw new Error(`lstm: ${k} must be a non-negative integer, got ${c[k]}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`lstm: dropout must be in [0, 1), got ${c.dropout}`);
  if (!(c.initRange > 0)) throw new Error(`lstm: initRange must be > 0, got ${c.initRange}`);
  if (!(c.lr > 0)) throw new Error(`lstm: lr must be > 0, got ${c.lr}`);
  if (!(c.lrDecay >= 1)) throw new Error(`lstm: lrDecay must be ≥ 1 (the lr is divided by it), got ${c.lrDecay}`);
  if (!(c.clip >= 0)) throw new Error(`lstm: clip must be ≥ 0 (0 = off), got ${c.clip}`);
  if (c.tieWeights && c.embedSize !== c.hiddenSize) throw new Error(`lstm: tieWeights needs embedSize = hiddenSize, got ${c.embedSize} and ${c.hiddenSize}`);
}

export interface LmData {
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
  vocab: VocabFile;
}

/** The dataset's splits and vocabulary; errors name the dataset and file. */
export function loadLmData(dataset: LstmDataset, dataDir?: string): LmData {
  if (dataset === 'tinyshakespeare') {
    const d = loadTinyShakespeare({ dataDir });
    // the loader's 90/10 split; the validation part doubles as the test split
    return { train: d.train, valid: d.val, test: d.val, vocab: { kind: 'char', tokens: [...d.tokenizer.chars] } };
  }
  if (dataset === 'text' && !dataDir) throw new Error('lstm: --dataset text needs --data-dir DIR, a folder holding train.txt, valid.txt and test.txt');
  const d = dataset === 'text' ? loadWordCorpus(dataDir!) : loadPtb({ dataDir });
  return { train: d.train, valid: d.valid, test: d.test, vocab: { kind: 'word', tokens: [...d.vocab.itos] } };
}

function buildModel(cfg: LstmConfig, vocabSize: number): LstmLanguageModel {
  return new LstmLanguageModel({
    vocabSize, embedSize: cfg.embedSize, hiddenSize: cfg.hiddenSize, numLayers: cfg.numLayers, dropout: cfg.dropout,
    tieWeights: cfg.tieWeights, initRange: cfg.initRange,
  });
}

/** lr factor in epoch e (0-based): 1 for the first decayAfter epochs, then ÷ lrDecay per epoch. */
export function lrFactor(cfg: LstmConfig, epoch: number): number {
  return cfg.lrDecay ** -Math.max(0, epoch + 1 - cfg.decayAfter);
}

export async function trainLstm(opts: TrainOptions): Promise<Summary> {
  const tr = await startRun({
    model: 'lstm',
    defaults,
    schema,
    prepare: (cfg, o) => {
      checkConfig(cfg);
      const data = loadLmData(cfg.dataset, o.dataDir);
      const windows = new StreamBatches(data.train, cfg.batchSize, cfg.numSteps, `lstm: the ${cfg.dataset} training split`).fullWindows;
      if (windows < 1) throw new Error(`lstm: the ${cfg.dataset} training split (${data.train.length} tokens) makes no window of ${cfg.numSteps} steps in ${cfg.batchSize} streams`);
      if (o.resume) {
        // the run's vocabulary must be the data's: same tokens, same order
        const saved = loadVocab(join(o.resume, VOCAB_FILE));
        if (saved.kind !== data.vocab.kind || saved.tokens.length !== data.vocab.tokens.length || saved.tokens.some((t, i) => t !== data.vocab.tokens[i])) {
          throw new Error(`--resume ${o.resume}: the ${cfg.dataset} data's vocabulary differs from the run's ${VOCAB_FILE}; resume with the same data`);
        }
      }
      return data;
    },
  }, opts);
  const cfg = tr.cfg, data = tr.data;
  try {
    if (!tr.resumed) saveVocab(tr.path(VOCAB_FILE), data.vocab);
    manualSeed(cfg.seed); // initialisation and dropout masks both draw from the default generator (checkpointed)
    const V = data.vocab.tokens.length;
    const model = buildModel(cfg, V);
    const params = model.parameters();
    const optimizer: Optimizer<any> = cfg.optimizer === 'sgd' ? new SGD(params, { lr: cfg.lr }) : new Adam(params, { lr: cfg.lr });
    const batches = new StreamBatches(data.train, cfg.batchSize, cfg.numSteps);
    const spe = batches.fullWindows;
    const scheduler = new LambdaLR(optimizer, (step) => lrFactor(cfg, Math.floor(step / spe)));
    const totalSteps = Math.min(cfg.epochs * spe, cfg.maxSteps > 0 ? cfg.maxSteps : Infinity);
    let state: LSTMState | null = null; // carried across windows, reset at each epoch start
    let best = Infinity;
    model.train();
    const result = await tr.loop({
      parts: { model, optimizer, scheduler },
      totalSteps,
      stepsPerEpoch: spe,
      evalEvery: cfg.evalEvery > 0 ? cfg.evalEvery : spe,
      unit: 'tok',
      step: ({ step }) => {
        const w = step % spe;
        if (w === 0) state = null;
        const [x, y] = batches.window(w);
        const [logits, next] = model.forward(x, state);
        state = detachState(next); // truncated BPTT: the next window starts from these values, with no graph behind them
        const loss = crossEntropy(reshape(logits, [y.size, V]), reshape(y, [y.size])); // mean over the T·B tokens
        optimizer.zeroGrad();
        (cfg.lossScale === 'sum' ? loss.mul(x.shape[0]) : loss).backward();
        const gradNorm = cfg.clip > 0 ? clipGradNorm(params, cfg.clip) : NaN;
        const lr = optimizer.paramGroups[0].lr as number;
        optimizer.step();
        scheduler.step();
        const l = loss.item();
        return { loss: l, examples: y.size, lr, metrics: { ppl: perplexity(l), ...(cfg.clip > 0 ? { gradNorm } : {}) } };
      },
      evaluate: () => {
        const v = evaluateStream(model, data.valid, cfg.evalBatchSize, cfg.numSteps);
        best = Math.min(best, v.loss);
        return { validLoss: v.loss, validPpl: perplexity(v.loss) };
      },
      describe: (m) => `valid loss ${m.validLoss.toFixed(4)} ppl ${m.validPpl.toFixed(2)}`,
      extra: () => ({ state, best }),
      restore: (extra) => {
        const e = extra as { state: LSTMState | null; best: number };
        state = e.state ? [e.state[0], e.state[1]] : null;
        best = e.best;
      },
    });
    const last = result.lastEval ?? { validLoss: NaN, validPpl: NaN };
    const finished = !result.interrupted && result.step >= totalSteps;
    const test = finished ? evaluateStream(model, data.test, cfg.testBatchSize, cfg.numSteps) : null;
    const char = data.vocab.kind === 'char';
    const testLoss = test ? test.loss : NaN;
    return tr.finish({
      dataset: cfg.dataset, metric: char ? 'valid_loss' : 'test_perplexity', value: char ? last.validLoss : perplexity(testLoss), steps: result.step,
      testLoss, testPpl: perplexity(testLoss), validLoss: last.validLoss, validPpl: last.validPpl, bestValidLoss: best,
      secondsPerEpoch: tr.seconds() / Math.max(1e-9, result.step / spe), parameters: params.reduce((s, p) => s + p.size, 0),
    });
  } catch (e) {
    tr.close();
    throw e;
  }
}

/** The run's settings, vocabulary and weights from a weights file or run directory. */
function loadTrained(checkpoint: string): { cfg: LstmConfig; vocab: VocabFile; model: LstmLanguageModel; file: string } {
  const file = resolveWeights(checkpoint);
  const dir = dirname(file);
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new Error(`--checkpoint ${checkpoint}: no config.json next to ${file}; an LSTM checkpoint lives in its run directory`);
  let saved: Record<string, unknown>;
  try { saved = JSON.parse(readFileSync(cfgPath, 'utf8')); } catch (e) { throw new Error(`${cfgPath}: not valid JSON (${(e as Error).message})`); }
  if (!saved || typeof saved !== 'object' || Array.isArray(saved)) throw new Error(`${cfgPath}: expected a JSON object of settings`);
  const preset = LSTM_PRESETS[saved.size as LstmConfig['size']] ?? small;
  const cfg = checkSavedConfig(saved, preset, cfgPath) as LstmConfig;
  checkConfig(cfg);
  if (!existsSync(join(dir, VOCAB_FILE))) throw new Error(`--checkpoint ${checkpoint}: no ${VOCAB_FILE} next to ${file}; an LSTM checkpoint lives in its run directory`);
  const vocab = loadVocab(join(dir, VOCAB_FILE));
  const model = buildModel(cfg, vocab.tokens.length);
  model.loadStateDict(new Map(Object.entries(loadWeights(file))), { strict: true });
  model.eval();
  return { cfg, vocab, model, file };
}

/**
 * Perplexity of a run's weights on a split of its dataset (default test), or on any text file (--text), whose words
 * outside the vocabulary are mapped to <unk> (and counted).
 */
export async function evaluateLstm(opts: EvalOptions): Promise<Record<string, number>> {
  const { cfg, vocab, model } = loadTrained(opts.checkpoint);
  if (opts.text) {
    let ids: Int32Array, unknown = 0, tokens: number;
    if (vocab.kind === 'word') {
      const r = encodeWordFile(opts.text, new Vocab(vocab.tokens), 'eval --text');
      ({ ids, unknown } = r);
      tokens = r.words;
    } else {
      let text: string;
      try { text = readFileSync(opts.text, 'utf8'); } catch (e) { throw new Error(`eval --text: cannot read ${opts.text}: ${(e as Error).message}`); }
      if (!text) throw new Error(`eval --text: ${opts.text} is empty`);
      ids = textCodec(vocab).encode(text);
      tokens = ids.length;
    }
    if (ids.length < 2) throw new Error(`eval --text: ${opts.text} has ${ids.length} token; perplexity needs at least 2`);
    if (unknown) process.stderr.write(`lstm: ${unknown} of ${tokens} words in ${opts.text} are not in the vocabulary and were mapped to <unk>\n`);
    const r = evaluateStream(model, ids, 1, cfg.numSteps);
    return { loss: r.loss, perplexity: perplexity(r.loss), tokens: r.tokens, unknownMapped: unknown };
  }
  const dataset = (opts.dataset ?? cfg.dataset) as LstmDataset;
  const data = loadLmData(dataset, opts.dataDir);
  if (data.vocab.kind !== vocab.kind || data.vocab.tokens.length !== vocab.tokens.length || data.vocab.tokens.some((t, i) => t !== vocab.tokens[i])) {
    throw new Error(`eval lstm: the ${dataset} vocabulary is not the one the model was trained with; evaluate another text with --text FILE`);
  }
  const test = evaluateStream(model, data.test, cfg.testBatchSize, cfg.numSteps);
  const valid = evaluateStream(model, data.valid, cfg.testBatchSize, cfg.numSteps);
  return { test_loss: test.loss, test_perplexity: perplexity(test.loss), valid_loss: valid.loss, valid_perplexity: perplexity(valid.loss) };
}

/** For `deepten sample`: the trained model and its tokenizer. */
export async function lstmLanguageModel(opts: { checkpoint: string }): Promise<LoadedLanguageModel> {
  const { vocab, model } = loadTrained(opts.checkpoint);
  const codec = textCodec(vocab);
  return { model, encode: codec.encode, decode: codec.decode, start: codec.start };
}

export const lstm: Recipe = {
  name: 'lstm', title: 'LSTM language model', task: 'Penn Treebank words; Tiny Shakespeare chars',
  reference: 'test perplexity 114.5 (Zaremba et al. 2014, small); validation ≤ 1.60 nats/char on Tiny Shakespeare',
  train: trainLstm, evaluate: evaluateLstm, languageModel: lstmLanguageModel,
};
