// npm run bench:word2vec [-- --configs skipgram,cbow] [--threads 1,2] [--gensim file,iterable] [--seeds K]
//                         [--epochs N] [--data-dir DIR] [--json PATH]
// deepten's word2vec against gensim 4.2 (Debian's python3-gensim, its compiled trainer) on the same corpus (the
// shipped English corpus), the same sentences (lines cut into 10,000-word pieces), the same hyper-parameters (the
// C tool's skip-gram and CBOW configs) and the same thread counts, one run after another (never two at once).
// Both sides' vectors are scored by the same evaluation (compute-accuracy's: 30,000 words, case folded, 3CosAdd);
// gensim's own evaluate_word_analogies score is printed beside it as a cross-check.
// words/s = corpus words × epochs ÷ training seconds (vocabulary building excluded on both sides).
// gensim has two input paths: 'iterable' (a Python producer thread feeds LineSentence batches to the workers) and
// 'file' (corpus_file: each worker reads its own part of the file in C++); both are timed by default and the
// faster one is gensim's number for the speed target. --seeds K repeats every run with seeds 1…K and compares the
// means (one run's analogy accuracy varies by about ±0.5 points with the seed, on either side).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWordCorpus } from '../src/data/word-corpus.ts';
import { resolveDataDir } from '../src/data/paths.ts';
import { loadAnalogies } from '../src/data/text.ts';
import { readVectors } from '../src/io/word2vec.ts';
import { WordVectors } from '../src/models/word-vectors.ts';
import { evaluateAnalogies, type AnalogyReport } from '../src/train/analogies.ts';
import { word2vecConfigs } from '../src/train/recipes/word2vec.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

interface Options { configs: ('skipgram' | 'cbow')[]; threads: number[]; gensim: ('file' | 'iterable')[]; seeds: number; epochs: number | null; dataDir?: string; json: string | null }

function usage(msg?: string): never {
  if (msg) console.error(`bench:word2vec: ${msg}`);
  console.error('usage: npm run bench:word2vec -- [--configs skipgram,cbow] [--threads 1,2] [--gensim file,iterable] [--seeds K] [--epochs N] [--data-dir DIR] [--json PATH]');
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { configs: ['skipgram', 'cbow'], threads: [1, 2], gensim: ['file', 'iterable'], seeds: 1, epochs: null, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = () => argv[++i] ?? usage(`${a} needs a value`);
    const list = () => next().split(',').filter(Boolean);
    if (a === '--configs') {
      const c = list();
      if (!c.length || c.some((x) => x !== 'skipgram' && x !== 'cbow')) usage('--configs takes skipgram and/or cbow');
      o.configs = c as Options['configs'];
    } else if (a === '--threads') {
      o.threads = list().map(Number);
      if (!o.threads.length || o.threads.some((t) => !Number.isInteger(t) || t < 1)) usage('--threads takes positive integers');
    } else if (a === '--gensim') {
      const g = list();
      if (!g.length || g.some((x) => x !== 'file' && x !== 'iterable')) usage('--gensim takes file and/or iterable');
      o.gensim = g as Options['gensim'];
    } else if (a === '--seeds') {
      o.seeds = Number(next());
      if (!Number.isInteger(o.seeds) || o.seeds < 1) usage('--seeds needs a positive integer');
    } else if (a === '--epochs') {
      o.epochs = Number(next());
      if (!Number.isInteger(o.epochs) || o.epochs < 1) usage('--epochs needs a positive integer');
    } else if (a === '--data-dir') o.dataDir = next();
    else if (a === '--json') o.json = next();
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  return o;
}

interface RunOut { train_seconds: number; train_cpu_seconds: number; vocab_seconds: number; raw_words: number; vocab_size: number; gensim_analogy_score?: number }
interface Row { config: string; threads: number; seed: number; library: string; run: RunOut; wordsPerSec: number; report: AnalogyReport; loadBefore: number }

function runJson(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): RunOut {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args[args.length - 2] ?? ''} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as RunOut;
}

const pct = (v: number) => (100 * v).toFixed(2);

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const corpus = join(resolveDataDir('english_corpus', { dataDir: o.dataDir }), 'nltk_mix8.txt');
  const questions = join(resolveDataDir('analogies', { dataDir: o.dataDir }), 'questions-words.txt');
  const analogies = loadAnalogies({ dataDir: o.dataDir });
  const tmp = mkdtempSync(join(tmpdir(), 'deepten-w2v-bench-'));
  // gensim's corpus_file reader splits the work by lines: give it the very sentences both sides train on, one per line
  const lined = join(tmp, 'corpus-lines.txt');
  const c = readWordCorpus(corpus);
  const lines: string[] = [];
  for (let s = 0; s + 1 < c.sentenceStarts.length; s++) {
    lines.push(Array.from(c.tokens.subarray(c.sentenceStarts[s], c.sentenceStarts[s + 1]), (i) => c.words[i]).join(' '));
  }
  writeFileSync(lined, lines.join('\n') + '\n');
  const gensimVersion = spawnSync('/usr/bin/python3', ['-c', 'import gensim; print(gensim.__version__)'], { encoding: 'utf8' }).stdout.trim();
  console.log(`bench:word2vec — ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, node ${process.version}, gensim ${gensimVersion || 'not installed'}`);
  console.log(`corpus ${corpus}: ${c.tokens.length} words, ${c.sentenceStarts.length - 1} sentences; load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const rows: Row[] = [];
  const score = (file: string) => {
    const v = readVectors(file);
    return evaluateAnalogies(new WordVectors(v.words, v.vectors, v.dim, file), analogies);
  };
  for (const config of o.configs) {
    const p = word2vecConfigs[config];
    const epochs = o.epochs ?? p.epochs;
    for (const threads of o.threads) {
      for (let seed = 1; seed <= o.seeds; seed++) {
        const runs: [string, () => RunOut][] = [
          ['deepten', () => runJson(process.execPath, ['--import', 'tsx', join(benchDir, 'word2vec_worker.ts'),
            JSON.stringify({ corpus, out: join(tmp, 'deepten.bin'), config, threads, epochs, seed })], { DEEPTEN_BACKEND: 'native' })],
          ...o.gensim.map((mode): [string, () => RunOut] => [`gensim (${mode})`, () => runJson('/usr/bin/python3', [join(benchDir, 'gensim_word2vec.py'), JSON.stringify({
            corpus: mode === 'file' ? lined : corpus, out: join(tmp, 'gensim.bin'), mode, sg: p.arch === 'skipgram' ? 1 : 0, dim: p.dim,
            window: p.window, negative: p.negative, hs: p.hs ? 1 : 0, sample: p.sample, min_count: p.minCount, epochs, alpha: p.lr,
            threads, seed, max_sentence_length: p.maxSentenceLength, analogies: questions,
          })], { OPENBLAS_NUM_THREADS: '1' })]),
        ];
        for (const [library, run] of runs) {
          const loadBefore = loadavg()[0];
          const out = run();
          const report = score(join(tmp, library === 'deepten' ? 'deepten.bin' : 'gensim.bin'));
          const wordsPerSec = (out.raw_words * epochs) / out.train_seconds;
          rows.push({ config, threads, seed, library, run: out, wordsPerSec, report, loadBefore });
          console.log(`  ${config} ${threads} thread${threads > 1 ? 's' : ''} seed ${seed} ${library}: ${out.train_seconds.toFixed(1)} s (CPU ${out.train_cpu_seconds.toFixed(1)} s), ` +
            `${Math.round(wordsPerSec)} words/s, analogies ${pct(report.total.accuracy)}%` +
            (out.gensim_analogy_score !== undefined ? ` (gensim's own evaluation: ${pct(out.gensim_analogy_score)}%)` : ''));
        }
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  // the table, then deepten ÷ gensim's faster mode
  const head = ['config', 'threads', 'seed', 'library', 'train s', 'CPU s', 'words/s', 'total %', 'semantic %', 'syntactic %', 'answerable'];
  const body = rows.map((r) => [r.config, String(r.threads), String(r.seed), r.library, r.run.train_seconds.toFixed(1), r.run.train_cpu_seconds.toFixed(1),
    String(Math.round(r.wordsPerSec)), pct(r.report.total.accuracy), pct(r.report.semantic.accuracy), pct(r.report.syntactic.accuracy), String(r.report.total.answerable)]);
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const fmt = (cells: string[]) => cells.map((x, j) => (j < 4 && j !== 2 ? x.padEnd(widths[j]) : x.padStart(widths[j]))).join('  ');
  console.log('\n' + fmt(head) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n' + body.map(fmt).join('\n'));
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const sd = (a: number[]) => (a.length > 1 ? Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1)) : 0);
  const cell = (config: string, threads: number, library: string) => {
    const rs = rows.filter((r) => r.config === config && r.threads === threads && r.library === library);
    const acc = rs.map((r) => 100 * r.report.total.accuracy);
    return { library, n: rs.length, wordsPerSec: mean(rs.map((r) => r.wordsPerSec)), accuracy: mean(acc), sd: sd(acc), cpu: mean(rs.map((r) => r.run.train_cpu_seconds)) };
  };
  console.log(`\ndeepten vs gensim${o.seeds > 1 ? ` (means over seeds 1…${o.seeds})` : ''}: words/s ÷ gensim's faster mode (target ≥ 1); ` +
    'accuracy difference in points from each mode (target ≥ −0.5)');
  const verdicts: Record<string, unknown>[] = [];
  for (const config of o.configs) {
    for (const threads of o.threads) {
      const ours = cell(config, threads, 'deepten');
      const peers = o.gensim.map((m) => cell(config, threads, `gensim (${m})`)).filter((c) => c.n > 0);
      if (!ours.n || !peers.length) continue;
      const best = peers.reduce((a, b) => (b.wordsPerSec > a.wordsPerSec ? b : a));
      const ratio = ours.wordsPerSec / best.wordsPerSec;
      const diffs = peers.map((q) => ({ peer: q.library, accuracy: q.accuracy, sd: q.sd, points: ours.accuracy - q.accuracy }));
      verdicts.push({ config, threads, seeds: o.seeds, ours, peers, fastestPeer: best.library, speedRatio: ratio, cpuRatio: best.cpu / ours.cpu, accuracyDiffPoints: diffs });
      const spread = (c: { accuracy: number; sd: number }) => `${c.accuracy.toFixed(2)}%${o.seeds > 1 ? ` ± ${c.sd.toFixed(2)}` : ''}`;
      const acc = diffs.map((d) => `${d.points >= 0 ? '+' : ''}${d.points.toFixed(2)} vs ${d.peer} (${spread(d)})${d.points >= -0.5 ? '' : ' below target'}`).join(', ');
      console.log(`  ${config.padEnd(8)} ${threads} thread${threads > 1 ? 's' : ' '}: ${ratio.toFixed(2)}× ${best.library}'s words/s${ratio >= 1 ? '' : ' (below target)'} ` +
        `(CPU time ${(best.cpu / ours.cpu).toFixed(2)}×); deepten ${spread(ours)}, ${acc}`);
    }
  }
  if (o.gensim.includes('file') && o.threads.some((t) => t > 1)) {
    console.log('  note: with more than one worker, gensim\'s corpus_file mode decays each worker\'s learning rate by that worker\'s\n' +
      '  own word count against the whole corpus\'s, so within an epoch it only falls 1/workers of the way: a higher\n' +
      '  learning rate than the C tool\'s linear schedule, which deepten and the iterable mode follow.');
  }
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (o.json) {
    writeFileSync(o.json, JSON.stringify({ machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, gensim: gensimVersion }, options: o, rows: rows.map((r) => ({ ...r, report: { total: r.report.total, semantic: r.report.semantic, syntactic: r.report.syntactic } })), verdicts }, null, 2) + '\n');
  }
}

main();
