// Word2Vec recipe: the C tool's two named configurations on the shipped English corpus (or any text file), trained
// in chunks of sentences through the shared run lifecycle (src/train/loop.ts): one step = one chunk of about
// `chunkWords` words, so progress (words/s, the current learning rate), Ctrl-C and checkpoints happen between chunks.
// The random draws of sentence s in epoch e depend only on (seed, e, s), so a resumed run continues exactly where
// the checkpoint left it (bit-identical with one thread). At the end the vectors are evaluated on the Google
// analogy set as compute-accuracy does, and written in the C tool's binary format (vectors.bin, which gensim reads).
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendInfo, backendName } from '../../backend/index.ts';
import { Word2Vec, skipgramConfig, cbowConfig, checkConfig, type Word2VecConfig } from '../../models/word2vec.ts';
import type { Word2VecCorpus } from '../../ops/word2vec.ts';
import { WordVectors } from '../../models/word-vectors.ts';
import { readWordCorpus, type WordCorpus } from '../../data/word-corpus.ts';
import { loadAnalogies, type AnalogySection } from '../../data/text.ts';
import { resolveDataDir, DATASETS } from '../../data/paths.ts';
import { readVectors, writeVectors, type VectorFormat } from '../../io/word2vec.ts';
import { evaluateAnalogies, formatAnalogyReport, type AnalogyReport } from '../analogies.ts';
import { startRun } from '../loop.ts';
import type { Summary } from '../run.ts';
import type { Recipe, TrainOptions, EvalOptions } from '../recipe.ts';

export interface Word2VecRecipeConfig extends Word2VecConfig {
  /** The named configuration the defaults come from: 'skipgram' or 'cbow' (`--set config=cbow`). */
  config: 'skipgram' | 'cbow';
  /** 'english_corpus' (the shipped 3.9M-word corpus), 'text8', or the path of any UTF-8 text file. */
  dataset: string;
  /** Hogwild threads; 0 = the backend's thread count (DEEPTEN_THREADS, else every core). */
  threads: number;
  /** Words per step (whole sentences): the grain of progress lines, Ctrl-C and checkpoints. */
  chunkWords: number;
  /** Lines longer than this many words are cut into sentences of this length (gensim's 10,000). */
  maxSentenceLength: number;
  /** Analogy questions are answered over this many most frequent words (compute-accuracy's 30,000). */
  evalWords: number;
  /** Vector files written at the end, '/'-separated: bin (the C tool's binary), txt, safetensors. */
  vectorFormats: string;
  /** Stop after this many chunks (0: train every epoch); the learning-rate schedule still spans all epochs. */
  maxSteps: number;
}

const common = { dataset: 'english_corpus', threads: 0, chunkWords: 200_000, maxSentenceLength: 10_000, evalWords: 30_000, vectorFormats: 'bin', maxSteps: 0 };

export const word2vecConfigs: Record<'skipgram' | 'cbow', Word2VecRecipeConfig> = {
  skipgram: { ...skipgramConfig, config: 'skipgram', ...common },
  cbow: { ...cbowConfig, config: 'cbow', ...common },
};

const FORMATS: Record<string, VectorFormat> = { bin: 'binary', txt: 'text', safetensors: 'safetensors' };

/** The corpus file named by `dataset`: a known dataset found through the data lookup, or a path. */
export function corpusPath(dataset: string, dataDir?: string): string {
  if (dataset === 'english_corpus') return join(resolveDataDir('english_corpus', { dataDir }), 'nltk_mix8.txt');
  if (dataset === 'text8') return join(resolveDataDir('text8', { dataDir }), 'text8');
  if (existsSync(dataset) && statSync(dataset).isFile()) return dataset;
  const known = DATASETS[dataset] ? ` ('${dataset}' is a dataset, but not a text corpus)` : '';
  throw new Error(`word2vec: dataset '${dataset}' is neither english_corpus, text8, nor a text file${known}`);
}

/** The analogy questions, or null (with a notice) when the set is not available locally. */
function analogiesOrNull(dataDir?: string): AnalogySection[] | null {
  try {
    return loadAnalogies({ dataDir });
  } catch (e) {
    if (!/not found/.test((e as Error).message)) throw e;
    process.stderr.write(`word2vec: the Google analogy set (word2vec/questions-words.txt) is not available; training without the evaluation\n`);
    return null;
  }
}

/** Sentence ranges of about `words` words each: chunk k covers sentences [starts[k], starts[k + 1]). */
export function chunkSentences(sentenceStarts: Int32Array, words: number): Int32Array {
  const out = [0];
  const S = sentenceStarts.length - 1;
  for (let s = 1; s <= S; s++) {
    if (sentenceStarts[s] - sentenceStarts[out[out.length - 1]] >= words || s === S) out.push(s);
  }
  return Int32Array.from(out);
}

/** A short fingerprint of the vocabulary, so a resumed run refuses a corpus that changed. */
function vocabKey(words: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const w of words) for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193);
  return `${words.length}:${(h >>> 0).toString(16)}`;
}

function checkRecipe(cfg: Word2VecRecipeConfig): void {
  checkConfig(cfg);
  const int = (k: keyof Word2VecRecipeConfig, min: number) => {
    const v = cfg[k] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`word2vec: ${k} must be an integer ≥ ${min}, got ${v}`);
  };
  int('threads', 0); int('chunkWords', 1); int('maxSentenceLength', 1); int('evalWords', 1); int('maxSteps', 0);
  if (cfg.threads > 256) throw new Error(`word2vec: threads must be at most 256, got ${cfg.threads}`);
  for (const f of cfg.vectorFormats.split('/').filter(Boolean)) {
    if (!FORMATS[f]) throw new Error(`word2vec: vectorFormats: unknown format '${f}'; use bin, txt or safetensors, separated by '/'`);
  }
}

interface Prepared {
  corpus: WordCorpus;
  model: Word2Vec;
  data: Word2VecCorpus;
  analogies: AnalogySection[] | null;
  path: string;
}

async function trainWord2Vec(opts: TrainOptions): Promise<Summary> {
  const named = opts.set?.config ?? 'skipgram';
  if (named !== 'skipgram' && named !== 'cbow') throw new Error(`word2vec: config must be skipgram or cbow, got '${named}'`);
  const tr = await startRun<Word2VecRecipeConfig, Prepared>({
    model: 'word2vec',
    defaults: structuredClone(word2vecConfigs[named]),
    schema: { choices: { config: ['skipgram', 'cbow'], arch: ['skipgram', 'cbow'] } },
    prepare: (cfg, o) => {
      checkRecipe(cfg);
      const path = corpusPath(cfg.dataset, o.dataDir);
      const t0 = Date.now();
      const corpus = readWordCorpus(path, { maxSentenceLength: cfg.maxSentenceLength });
      process.stderr.write(`word2vec: read ${path}: ${corpus.tokens.length} words, ${corpus.words.length} distinct, in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      // building the model checks the corpus (empty, too few frequent words, no longer than the window)
      const model = Word2Vec.fromCorpus(corpus, cfg);
      return { corpus, model, data: model.encode(corpus), analogies: analogiesOrNull(o.dataDir), path };
    },
  }, opts);
  const { cfg } = tr;
  const { corpus, model, data, analogies } = tr.data;
  try {
    const threads = cfg.threads || backendInfo().threads;
    if (threads > 1 && backendName() === 'js') process.stderr.write('word2vec: the TypeScript backend trains with one thread\n');
    const chunks = chunkSentences(data.sentenceStarts, cfg.chunkWords);
    const perEpoch = chunks.length - 1;
    const key = vocabKey(model.vocab.words);
    writeFileSync(tr.path('vocab.txt'), model.vocab.words.map((w, i) => `${w} ${model.vocab.counts[i]}`).join('\n') + '\n');
    process.stderr.write(`word2vec: ${cfg.arch}, ${model.numWords} words in the vocabulary (min-count ${cfg.minCount}), ` +
      `${data.ids.length} of the corpus's words kept, ${cfg.epochs} epochs of ${perEpoch} chunks, ${threads} thread${threads > 1 ? 's' : ''}\n`);
    let trainSeconds = 0, trainWords = 0;
    let report: AnalogyReport | null = null;
    const totalSteps = cfg.maxSteps > 0 ? Math.min(cfg.maxSteps, cfg.epochs * perEpoch) : cfg.epochs * perEpoch;
    const result = await tr.loop({
      parts: { model },
      totalSteps,
      stepsPerEpoch: perEpoch,
      logEvery: 10,
      unit: 'words',
      step: ({ step }) => {
        const epoch = Math.floor(step / perEpoch), k = step % perEpoch;
        const t0 = process.hrtime.bigint();
        const st = model.trainSentences(data, epoch, chunks[k], chunks[k + 1], threads);
        trainSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
        trainWords += st.words;
        // α at the end of the chunk: α₀·max(1e-4, 1 − progress)
        const progress = (epoch * data.ids.length + data.sentenceStarts[chunks[k + 1]]) / (cfg.epochs * data.ids.length);
        const lr = cfg.lr * Math.max(1e-4, 1 - progress);
        return { loss: st.loss / Math.max(1, st.terms), examples: st.words, lr, metrics: { kept: st.kept / Math.max(1, st.words) } };
      },
      evalEvery: totalSteps,
      evaluate: (): Record<string, number> => {
        if (!analogies) return {};
        const wv = new WordVectors(model.vocab.words, model.inputVectors.data as Float32Array, cfg.dim, 'the trained model');
        report = evaluateAnalogies(wv, analogies, { restrict: cfg.evalWords });
        return { accuracy: report.total.accuracy, semantic: report.semantic.accuracy, syntactic: report.syntactic.accuracy, answerable: report.total.answerable };
      },
      describe: () => (report ? formatAnalogyReport(report) : ''),
      extra: () => ({ vocab: key, trainSeconds, trainWords }),
      restore: (extra) => {
        const x = extra as { vocab?: string; trainSeconds?: number; trainWords?: number } | null;
        if (x?.vocab !== key) throw new Error(`word2vec: the corpus's vocabulary (${key}) differs from the checkpoint's (${x?.vocab}); was ${tr.data.path} changed?`);
        trainSeconds = x.trainSeconds ?? 0;
        trainWords = x.trainWords ?? 0;
      },
    });
    const files: string[] = [];
    if (!result.interrupted) {
      for (const f of cfg.vectorFormats.split('/').filter(Boolean)) {
        const file = tr.path(`vectors.${f}`);
        writeVectors(file, { words: model.vocab.words, vectors: model.inputVectors.data as Float32Array, dim: cfg.dim }, FORMATS[f]);
        files.push(file);
      }
    }
    const last = result.lastEval ?? {};
    return tr.finish({
      metric: 'analogy_accuracy', value: last.accuracy ?? NaN, steps: result.step, dataset: cfg.dataset,
      semantic: last.semantic ?? NaN, syntactic: last.syntactic ?? NaN, answerable: last.answerable ?? 0,
      questions: analogies ? analogies.reduce((n, s) => n + s.questions.length, 0) : 0,
      wordsPerSecond: trainSeconds > 0 ? trainWords / trainSeconds : 0, trainSeconds, threads,
      vocabulary: model.numWords, corpusWords: corpus.tokens.length, vectors: files,
    });
  } catch (e) {
    tr.close();
    throw e;
  }
}

/** Vectors from a file in any format, or a run directory's vectors.bin / .txt / .safetensors. */
export function loadWordVectors(path: string): WordVectors {
  if (!existsSync(path)) throw new Error(`${path}: no such file or directory`);
  let file = path;
  if (statSync(path).isDirectory()) {
    const found = ['vectors.bin', 'vectors.txt', 'vectors.safetensors'].map((f) => join(path, f)).find((f) => existsSync(f));
    if (!found) throw new Error(`${path}: the directory holds no vectors.bin, vectors.txt or vectors.safetensors (did the run finish?)`);
    file = found;
  }
  const v = readVectors(file);
  return new WordVectors(v.words, v.vectors, v.dim, file);
}

async function evaluateWord2Vec(opts: EvalOptions): Promise<Record<string, number>> {
  const wv = loadWordVectors(opts.checkpoint);
  const r = evaluateAnalogies(wv, loadAnalogies({ dataDir: opts.dataDir }));
  process.stderr.write(formatAnalogyReport(r) + '\n');
  return {
    accuracy: r.total.accuracy, semantic: r.semantic.accuracy, syntactic: r.syntactic.accuracy,
    answerable: r.total.answerable, questions: r.total.questions, correct: r.total.correct,
  };
}

export const word2vec: Recipe = {
  name: 'word2vec',
  title: 'Word2Vec (skip-gram / CBOW, negative sampling, hierarchical softmax)',
  task: 'English corpus (3.9M words) + Google analogies',
  reference: 'gensim 4.2 on the same corpus and settings; the C tool: skip-gram 7.80%, CBOW 15.8% analogies',
  train: trainWord2Vec,
  evaluate: evaluateWord2Vec,
};
