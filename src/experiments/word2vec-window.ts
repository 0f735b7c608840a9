// Claim (and limitation): word2vec sees only a fixed window of context around each word. What the vectors learn
// depends on that window: a narrow one captures how a word is used in its phrase (syntax: quick → quickly), a wide
// one what the text is about (semantics: Paris → France). Here: the word2vec recipe (skip-gram config by default)
// trained with windows 2, 5 and 10, everything else equal, scored on the Google analogy set's semantic and
// syntactic sections as compute-accuracy does.
import { mkdirSync, openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendName } from '../backend/index.ts';
import { word2vec, corpusPath } from '../train/recipes/word2vec.ts';
import { UsageError } from '../util/flags.ts';
import type { Experiment } from './index.ts';
import { commonFlags, num, numList, outDir, formatTable, pct, report, writePanels, requirePositiveInt, type Flags } from './common.ts';

const NAME = 'word2vec-window';

/** The first `bytes` bytes of the corpus, cut at a space: the --quick corpus. */
export function corpusPrefix(src: string, dst: string, bytes: number): void {
  const fd = openSync(src, 'r');
  const buf = Buffer.alloc(bytes);
  const n = readSync(fd, buf, 0, bytes, 0);
  closeSync(fd);
  const cut = buf.lastIndexOf(32, n - 1);
  writeFileSync(dst, buf.subarray(0, cut > 0 ? cut : n));
}

export interface WindowResult {
  window: number;
  semantic: number;
  syntactic: number;
  total: number;
  answerable: number;
  wordsPerSecond: number;
  seconds: number;
}

export const word2vecWindow: Experiment = {
  summary: 'word2vec with windows 2, 5 and 10: semantic vs syntactic analogy accuracy (the fixed context window)',
  flags: {
    ...commonFlags,
    windows: { type: 'string', help: 'windows to train, comma-separated (default 2,5,10)' },
    config: { type: 'string', help: 'the recipe\'s named config: skipgram or cbow (default skipgram)' },
    epochs: { type: 'number', help: 'epochs per model (default: the config\'s; --quick 1)' },
    threads: { type: 'number', help: 'Hogwild threads (default: the backend\'s)' },
  },
  async run(flags: Flags) {
    const quick = Boolean(flags.quick);
    const windows = numList(flags, 'windows', [2, 5, 10], [2, 5, 10]).map((w) => requirePositiveInt('windows', w));
    const config = String(flags.config ?? 'skipgram');
    if (config !== 'skipgram' && config !== 'cbow') throw new UsageError(`--config must be skipgram or cbow, got '${config}'`);
    const dir = outDir(flags, NAME);
    const dataDir = flags['data-dir'] as string | undefined;
    const seed = Number(flags.seed ?? 1);
    const set: Record<string, string> = { config, vectorFormats: 'bin' };
    if (flags.threads !== undefined) set.threads = String(requirePositiveInt('threads', flags.threads as number));
    let dataset = 'english_corpus';
    if (quick) {
      // 500 kB of the corpus, small vectors, one epoch: seconds, even on the TypeScript backend
      dataset = join(dir, 'quick-corpus.txt');
      mkdirSync(dir, { recursive: true });
      corpusPrefix(corpusPath('english_corpus', dataDir), dataset, 500_000);
      Object.assign(set, { dim: '24', minCount: '3', negative: '3' });
    }
    const epochs = flags.epochs !== undefined || quick ? num(flags, 'epochs', 0, 1) : undefined;
    const results: WindowResult[] = [];
    for (const w of windows) {
      const s = await word2vec.train({ out: join(dir, `window-${w}`), overwrite: true, dataDir, dataset, seed, epochs, set: { ...set, window: String(w) } });
      if (s.interrupted) throw new UsageError(`${NAME}: interrupted during window ${w}`);
      results.push({
        window: w, semantic: s.semantic as number, syntactic: s.syntactic as number, total: s.value, answerable: s.answerable as number,
        wordsPerSecond: s.wordsPerSecond as number, seconds: s.seconds,
      });
      process.stderr.write(`${NAME}: window ${w}: semantic ${pct(s.semantic as number)}, syntactic ${pct(s.syntactic as number)}\n`);
    }
    const table = formatTable(['window', 'semantic', 'syntactic', 'total', 'answerable', 'words/s', 'seconds'],
      results.map((r) => [r.window, pct(r.semantic), pct(r.syntactic), pct(r.total), r.answerable, Math.round(r.wordsPerSecond), r.seconds.toFixed(0)]));
    const x = results.map((r) => r.window);
    const plot = join(dir, `${NAME}.png`);
    writePanels(plot, [{
      series: [
        { name: 'semantic', x, y: results.map((r) => 100 * r.semantic) },
        { name: 'syntactic', x, y: results.map((r) => 100 * r.syntactic) },
        { name: 'total', x, y: results.map((r) => 100 * r.total) },
      ],
      opts: { title: `word2vec ${config}: analogy accuracy vs window`, xLabel: 'window (words on each side)', yLabel: 'accuracy (%)', width: 640, height: 420 },
    }]);
    report(dir, table, { experiment: NAME, backend: backendName(), seed, quick, config, dataset, epochs: epochs ?? 'config default', plot, results });
  },
};
