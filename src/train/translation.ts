// Training and evaluating the Transformer translator (Multi30k de→en) through the shared run lifecycle (loop.ts):
// vocabularies from the training split, length-bucketed batches, teacher-forced cross-entropy (optionally label
// smoothed, with linear lr warm-up), per-epoch validation loss and greedy BLEU, the best epoch by validation loss
// kept (best.safetensors, and model.safetensors at the end), then test perplexity and greedy and beam BLEU.
// Also loads a finished run for `deepten translate`.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { manualSeed, Generator, type RngState } from '../random.ts';
import { crossEntropy } from '../ops/loss.ts';
import { Adam, LambdaLR, clipGradNorm } from '../optim/index.ts';
import { loadMulti30k, ensureDataset, type SentencePair } from '../data/index.ts';
import { Vocab, padSequences, bucketByLength, wordTokenize, UNK } from '../data/tokenize.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { Seq2SeqTransformer, transformerDefaults, type TransformerConfig } from '../models/transformer.ts';
import { greedyDecode, beamSearch } from '../eval/decode.ts';
import { corpusBleu } from '../eval/bleu.ts';
import { startRun, resolveWeights } from './loop.ts';
import { loadWeights } from './checkpoint.ts';
import type { Summary } from './run.ts';
import type { TrainOptions, EvalOptions } from './recipe.ts';

export interface TranslationConfig {
  dataset: string;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Adam's β2 (bentrevett: torch's default 0.999; Vaswani et al.: 0.98). */
  beta2: number;
  /** Gradient-norm clipping (0 = off). */
  clip: number;
  labelSmoothing: number;
  /** Linear warm-up of the learning rate over this many steps (0 = none), then constant. */
  warmupSteps: number;
  /** Words seen fewer times in training map to <unk>. */
  minFreq: number;
  seed: number;
  maxSteps: number;
  /** Use only the first N pairs of a split (smoke runs); 0 = all. */
  trainLimit: number;
  validLimit: number;
  testLimit: number;
  /** Greedy validation BLEU at every epoch's end (besides the validation loss). */
  validBleu: boolean;
  beamWidth: number;
  lengthPenalty: number;
  /** The most tokens a translation may have. */
  decodeMaxLen: number;
  /** After training: test perplexity and greedy and beam BLEU (experiments that compare training runs skip it). */
  finalTest: boolean;
  model: TransformerConfig;
}

/** bentrevett/pytorch-seq2seq "Attention is all you need": Adam 5e-4, clip 1, batch 128, 10 epochs, min_freq 2, seed 1234. */
export const translationDefaults: TranslationConfig = {
  dataset: 'multi30k', epochs: 10, batchSize: 128, lr: 5e-4, beta2: 0.999, clip: 1, labelSmoothing: 0, warmupSteps: 0,
  minFreq: 2, seed: 1234, maxSteps: 0, trainLimit: 0, validLimit: 0, testLimit: 0, validBleu: true,
  beamWidth: 5, lengthPenalty: 1, decodeMaxLen: 50, finalTest: true, model: { ...transformerDefaults },
};

export const translationSchema = {
  choices: { dataset: ['multi30k'], 'model.activation': ['relu', 'gelu'], 'model.positional': ['learned', 'sinusoidal'] },
};

const VOCAB_FILE = 'vocab.json';
const BEST = 'best.safetensors';

interface Vocabs { src: Vocab; tgt: Vocab }

/**
 * One split, encoded: source ids (no specials), target ids (<bos> … <eos>), and the reference translations as
 * words (for BLEU; not kept for the training split: every live JavaScript object makes each full garbage
 * collection slower, and training allocates enough typed-array memory to trigger many).
 */
interface Encoded { refs: string[][]; src: Int32Array[]; tgt: Int32Array[] }

function encode(pairs: SentencePair[], v: Vocabs, keepRefs = true): Encoded {
  return { refs: keepRefs ? pairs.map((p) => p.tgt) : [], src: pairs.map((p) => v.src.encode(p.src)), tgt: pairs.map((p) => v.tgt.encode(p.tgt, { bos: true, eos: true })) };
}

function limit<T>(xs: T[], n: number): T[] {
  return n > 0 ? xs.slice(0, n) : xs;
}

interface Prepared { train: Encoded; valid: Encoded; test: Encoded; vocabs: Vocabs }

/** Loads Multi30k, builds the vocabularies and checks every sentence fits the position table. */
async function prepare(cfg: TranslationConfig, dataDir?: string): Promise<Prepared> {
  await ensureDataset('multi30k', { dataDir });
  const d = loadMulti30k({ dataDir });
  const train = limit(d.train, cfg.trainLimit);
  if (cfg.batchSize > train.length) throw new Error(`transformer: batch size ${cfg.batchSize} is larger than the training split (${train.length} pairs)`);
  const vocabs = {
    src: Vocab.build(train.map((p) => p.src), { minFreq: cfg.minFreq }),
    tgt: Vocab.build(train.map((p) => p.tgt), { minFreq: cfg.minFreq }),
  };
  const enc = { train: encode(train, vocabs, false), valid: encode(limit(d.valid, cfg.validLimit), vocabs), test: encode(limit(d.test, cfg.testLimit), vocabs) };
  for (const [name, s] of Object.entries(enc)) {
    s.src.forEach((x, i) => {
      const n = Math.max(x.length, s.tgt[i].length);
      if (n > cfg.model.maxLen) throw new Error(`transformer: ${name} pair ${i} has ${n} tokens, more than model.maxLen ${cfg.model.maxLen} positions`);
    });
  }
  return { ...enc, vocabs };
}

function buildModel(cfg: TranslationConfig, v: Vocabs): Seq2SeqTransformer {
  return new Seq2SeqTransformer(v.src.size, v.tgt.size, v.src.padIndex, cfg.model);
}

interface Batch {
  src: Tensor;
  tgtIn: Tensor;
  tgtOut: Tensor;
  tokens: number;
  /** Flat indices b·(T−1) + t of the non-pad targets, and those targets. */
  rows: Tensor;
  targets: Tensor;
}

/**
 * Pads a batch: src (B, S); tgtIn = <bos> y (B, T−1) and tgtOut = y <eos> (B, T−1); tokens = non-pad targets, at
 * flat positions `rows`.
 */
function makeBatch(e: Encoded, idx: readonly number[], v: Vocabs): Batch {
  const s = padSequences(idx.map((i) => e.src[i]), v.src.padIndex);
  const t = padSequences(idx.map((i) => e.tgt[i]), v.tgt.padIndex);
  const B = idx.length, T = t.maxLen - 1;
  const tin = new Int32Array(B * T), tout = new Int32Array(B * T);
  const rows: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < T; j++) {
      tin[b * T + j] = t.data[b * t.maxLen + j];
      tout[b * T + j] = t.data[b * t.maxLen + j + 1];
      if (tout[b * T + j] !== v.tgt.padIndex) rows.push(b * T + j);
    }
  }
  const r = Int32Array.from(rows);
  return {
    src: new Tensor(s.data, [B, s.maxLen]), tgtIn: new Tensor(tin, [B, T]), tgtOut: new Tensor(tout, [B, T]), tokens: r.length,
    rows: new Tensor(r, [r.length]), targets: new Tensor(Int32Array.from(r, (i) => tout[i]), [r.length]),
  };
}

/** Mean cross-entropy per target token (teacher forcing, eval mode) and its perplexity. */
export function evaluateLoss(model: Seq2SeqTransformer, e: Encoded, v: Vocabs, batchSize = 128): { loss: number; perplexity: number } {
  const was = model.training;
  model.eval();
  let sum = 0, n = 0;
  noGrad(() => {
    for (const idx of bucketByLength(e.src.map((x) => x.length), batchSize)) {
      const b = makeBatch(e, idx, v);
      const logits = model.forward(b.src, b.tgtIn, b.rows); // (tokens, V)
      sum += crossEntropy(logits, b.targets, { reduction: 'sum' }).item();
      n += b.tokens;
    }
  });
  model.train(was);
  return { loss: sum / n, perplexity: Math.exp(sum / n) };
}

/** Target tokens of decoded ids, stopping at <eos>. */
function words(v: Vocab, ids: Int32Array): string[] {
  return v.decode(ids);
}

/** Greedy translations of a split (batched by source length) and their corpus BLEU against the references. */
export function translateSplit(model: Seq2SeqTransformer, e: Encoded, v: Vocabs, cfg: TranslationConfig, mode: 'greedy' | 'beam', batchSize = 128): { bleu: number; hypotheses: string[][] } {
  const hyps: string[][] = new Array(e.src.length);
  const o = { bos: v.tgt.bosIndex, eos: v.tgt.eosIndex, maxLen: cfg.decodeMaxLen };
  if (mode === 'greedy') {
    for (const idx of bucketByLength(e.src.map((x) => x.length), batchSize)) {
      const s = padSequences(idx.map((i) => e.src[i]), v.src.padIndex);
      greedyDecode(model, new Tensor(s.data, [idx.length, s.maxLen]), o).forEach((ids, j) => { hyps[idx[j]] = words(v.tgt, ids); });
    }
  } else {
    e.src.forEach((x, i) => { hyps[i] = words(v.tgt, beamSearch(model, x, { ...o, beamWidth: cfg.beamWidth, lengthPenalty: cfg.lengthPenalty }).tokens); });
  }
  return { bleu: corpusBleu(e.refs.map((r) => [r]), hyps).bleu, hypotheses: hyps };
}

function saveVocabs(path: string, v: Vocabs): void {
  writeFileAtomic(path, JSON.stringify({ src: v.src.itos, tgt: v.tgt.itos }) + '\n');
}

function readVocabs(path: string): Vocabs {
  let raw: any;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new Error(`${path}: cannot read the vocabularies (${(e as Error).message})`); }
  const ok = (x: unknown): x is string[] => Array.isArray(x) && x.length > 4 && x.every((s) => typeof s === 'string');
  if (!raw || !ok(raw.src) || !ok(raw.tgt)) throw new Error(`${path}: expected {"src": [tokens…], "tgt": [tokens…]}`);
  return { src: new Vocab(raw.src), tgt: new Vocab(raw.tgt) };
}

export async function trainTranslation(opts: TrainOptions): Promise<Summary> {
  const tr = await startRun<TranslationConfig, Prepared>({
    model: 'transformer', defaults: translationDefaults, schema: translationSchema,
    prepare: (cfg, o) => prepare(cfg, o.dataDir),
  }, opts);
  const cfg = tr.cfg, { train, valid, test, vocabs } = tr.data;
  const vocabPath = tr.path(VOCAB_FILE);
  if (tr.resumed && existsSync(vocabPath)) {
    const saved = readVocabs(vocabPath);
    if (saved.src.itos.join('\n') !== vocabs.src.itos.join('\n') || saved.tgt.itos.join('\n') !== vocabs.tgt.itos.join('\n')) {
      tr.close();
      throw new Error(`--resume: ${vocabPath} differs from the vocabularies built from the data now; is this the same dataset?`);
    }
  } else saveVocabs(vocabPath, vocabs);

  manualSeed(cfg.seed);
  const model = buildModel(cfg, vocabs);
  const optimizer = new Adam(model.parameters(), { lr: cfg.lr, betas: [0.9, cfg.beta2] });
  // linear warm-up: lr·(t+1)/W for the first W steps, then lr
  const scheduler = new LambdaLR(optimizer, (t: number) => (cfg.warmupSteps > 0 ? Math.min(1, (t + 1) / cfg.warmupSteps) : 1));
  const lengths = train.src.map((x) => x.length);
  const batchGen = new Generator(cfg.seed + 1);
  const epochBatches = () => bucketByLength(lengths, cfg.batchSize, { shuffle: true, generator: batchGen });
  // the current epoch's batch order: rebuilt from the generator state saved at the epoch's start
  let epochStart: RngState = batchGen.getState();
  let batches = epochBatches(), pos = 0;
  const stepsPerEpoch = batches.length;
  const totalSteps = Math.min(cfg.epochs * stepsPerEpoch, cfg.maxSteps > 0 ? cfg.maxSteps : Infinity);
  let best = { loss: Infinity, epoch: 0 };
  model.train();
  let result;
  try {
    result = await tr.loop({
      parts: { model, optimizer, scheduler },
      totalSteps, stepsPerEpoch, unit: 'tok', logEvery: 20,
      step: () => {
        if (pos === batches.length) { epochStart = batchGen.getState(); batches = epochBatches(); pos = 0; }
        const b = makeBatch(train, batches[pos++], vocabs);
        // the mean over the non-pad target tokens (the output layer runs on those rows only)
        const logits = model.forward(b.src, b.tgtIn, b.rows);                          // (tokens, V)
        const loss = crossEntropy(logits, b.targets, { labelSmoothing: cfg.labelSmoothing });
        optimizer.zeroGrad();
        loss.backward();
        const gradNorm = cfg.clip > 0 ? clipGradNorm(model.parameters(), cfg.clip) : NaN;
        const lr = optimizer.paramGroups[0].lr as number;
        optimizer.step();
        scheduler.step();
        return { loss: loss.item(), examples: b.tokens, lr, metrics: cfg.clip > 0 ? { gradNorm } : undefined };
      },
      evaluate: ({ epoch }) => {
        const v = evaluateLoss(model, valid, vocabs);
        if (v.loss < best.loss) {
          best = { loss: v.loss, epoch };
          writeSafetensors(tr.path(BEST), Object.fromEntries(model.stateDict()));
        }
        const m: Record<string, number> = { validLoss: v.loss, validPerplexity: v.perplexity };
        if (cfg.validBleu) m.validBleu = 100 * translateSplit(model, valid, vocabs, cfg, 'greedy').bleu;
        return m;
      },
      describe: (m) => `valid loss ${m.validLoss.toFixed(3)} ppl ${m.validPerplexity.toFixed(2)}${m.validBleu !== undefined ? ` BLEU ${m.validBleu.toFixed(2)}` : ''}`,
      extra: () => ({ epochStart, pos, best }),
      restore: (extra) => {
        const e = extra as { epochStart: RngState; pos: number; best: { loss: number; epoch: number } };
        batchGen.setState(e.epochStart);
        epochStart = e.epochStart;
        batches = epochBatches();
        pos = e.pos;
        best = e.best;
      },
    });
  } catch (e) {
    tr.close();
    throw e;
  }
  if (result.interrupted || !cfg.finalTest) {
    return tr.finish({ metric: 'test_bleu_greedy', value: NaN, steps: result.step, bestEpoch: best.epoch, bestValidLoss: best.loss, lastEval: result.lastEval });
  }
  // the epoch with the lowest validation loss is the model
  if (existsSync(tr.path(BEST))) model.loadStateDict(new Map(Object.entries(loadWeights(tr.path(BEST)))));
  const t0 = Date.now();
  const tl = evaluateLoss(model, test, vocabs);
  const greedy = translateSplit(model, test, vocabs, cfg, 'greedy');
  const tGreedy = (Date.now() - t0) / 1000;
  const beam = translateSplit(model, test, vocabs, cfg, 'beam');
  const tBeam = (Date.now() - t0) / 1000 - tGreedy;
  writeFileSync(tr.path('test-greedy.txt'), greedy.hypotheses.map((h) => h.join(' ')).join('\n') + '\n');
  writeFileSync(tr.path('test-beam.txt'), beam.hypotheses.map((h) => h.join(' ')).join('\n') + '\n');
  return tr.finish({
    metric: 'test_bleu_greedy', value: 100 * greedy.bleu, steps: result.step, testBleuBeam: 100 * beam.bleu, testLoss: tl.loss,
    testPerplexity: tl.perplexity, bestEpoch: best.epoch, bestValidLoss: best.loss, beamWidth: cfg.beamWidth,
    lengthPenalty: cfg.lengthPenalty, greedySeconds: tGreedy, beamSeconds: tBeam, parameters: model.numParameters(),
  });
}

// ---------------------------------------------------------------- a finished run, for eval and translate

export interface Translator {
  model: Seq2SeqTransformer;
  vocabs: Vocabs;
  cfg: TranslationConfig;
}

/** Loads a Transformer run (its directory, or a weights file inside one): config.json, vocab.json and the weights. */
export function loadTranslator(checkpoint: string): Translator {
  const file = resolveWeights(checkpoint);
  const dir = statSync(checkpoint).isDirectory() ? checkpoint : dirname(file);
  const cfgPath = join(dir, 'config.json'), vocabPath = join(dir, VOCAB_FILE);
  if (!existsSync(cfgPath) || !existsSync(vocabPath)) {
    throw new Error(`${checkpoint}: not a transformer run: ${dir} needs config.json and ${VOCAB_FILE} beside the weights`);
  }
  let saved: any;
  try { saved = JSON.parse(readFileSync(cfgPath, 'utf8')); } catch (e) { throw new Error(`${cfgPath}: not valid JSON (${(e as Error).message})`); }
  if (!saved?.model || typeof saved.model.dModel !== 'number') throw new Error(`${cfgPath}: not a transformer run's settings (no model.dModel)`);
  const cfg: TranslationConfig = { ...translationDefaults, ...saved, model: { ...transformerDefaults, ...saved.model } };
  const vocabs = readVocabs(vocabPath);
  const model = buildModel(cfg, vocabs);
  const weights = loadWeights(file);
  if (!('transformer.encoder.layers.0.self_attn.in_proj_weight' in weights)) {
    throw new Error(`${file}: holds no Transformer translator weights (its tensors are ${Object.keys(weights).slice(0, 3).join(', ')}, …)`);
  }
  model.loadStateDict(new Map(Object.entries(weights)));
  return { model: model.eval(), vocabs, cfg };
}

/**
 * A rough Moses-style tokenisation for typed input: lower-case, and punctuation split off words (the data in tok/
 * is already tokenised this way).
 */
export function tokenizeInput(sentence: string): string[] {
  return wordTokenize(sentence.toLowerCase().replace(/([.,!?;:"()])/g, ' $1 '));
}

export interface Translation {
  tokens: string[];
  /** Source words outside the vocabulary (they were read as <unk>). */
  unknown: string[];
  /** Source tokens as the model saw them. */
  source: string[];
  /** Cross-attention of the last decoder layer, averaged over heads: (target tokens incl. <eos>) × source tokens. */
  attention?: number[][];
}

export function translate(t: Translator, sentence: string, opts: { beamWidth?: number; lengthPenalty?: number; maxLen?: number; attention?: boolean } = {}): Translation {
  const source = tokenizeInput(sentence);
  if (source.length === 0) throw new Error('translate: the sentence is empty');
  const table = t.model.config.maxLen;
  if (source.length > table) throw new Error(`translate: the sentence has ${source.length} tokens; the model's position table holds ${table}`);
  const unknown = source.filter((w) => !t.vocabs.src.has(w));
  const ids = t.vocabs.src.encode(source);
  const beamWidth = opts.beamWidth ?? 1;
  const o = { bos: t.vocabs.tgt.bosIndex, eos: t.vocabs.tgt.eosIndex, maxLen: opts.maxLen ?? t.cfg.decodeMaxLen };
  if (opts.attention) {
    const state = t.model.initState(true);
    const [out] = greedyDecode(t.model, new Tensor(ids, [1, ids.length]), o, state);
    const last = state.layers[state.layers.length - 1].crossWeights!; // one (1, 1, S) per step
    const attention = last.map((w) => Array.from(w.data));
    return { tokens: words(t.vocabs.tgt, out), unknown, source: source.map((w) => (t.vocabs.src.has(w) ? w : UNK)), attention };
  }
  const out = beamWidth > 1
    ? beamSearch(t.model, ids, { ...o, beamWidth, lengthPenalty: opts.lengthPenalty ?? t.cfg.lengthPenalty }).tokens
    : greedyDecode(t.model, new Tensor(ids, [1, ids.length]), o)[0];
  return { tokens: words(t.vocabs.tgt, out), unknown, source: source.map((w) => (t.vocabs.src.has(w) ? w : UNK)) };
}

/**
 * deepten eval transformer: test loss, perplexity, greedy and beam BLEU of a finished run (on the test sentences
 * the run used: all of them unless it was a smoke run with testLimit).
 */
export async function evaluateTranslation(opts: EvalOptions): Promise<Record<string, number>> {
  const t = loadTranslator(opts.checkpoint);
  await ensureDataset('multi30k', { dataDir: opts.dataDir });
  const d = loadMulti30k({ dataDir: opts.dataDir });
  const test = encode(limit(d.test, t.cfg.testLimit), t.vocabs);
  const l = evaluateLoss(t.model, test, t.vocabs);
  return {
    test_sentences: test.src.length, test_loss: l.loss, test_perplexity: l.perplexity,
    test_bleu_greedy: 100 * translateSplit(t.model, test, t.vocabs, t.cfg, 'greedy').bleu,
    test_bleu_beam: 100 * translateSplit(t.model, test, t.vocabs, t.cfg, 'beam').bleu,
  };
}

