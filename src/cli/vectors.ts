// `deepten similar VECTORS WORD [-n 10]` and `deepten analogy VECTORS A B C [-n 5]`: queries on trained word vectors
// (a vectors file in the C tool's text or binary format or safetensors, or a word2vec run directory). A word outside
// the vocabulary is reported as such: word2vec has no vector for a word it never saw, the model's stated weakness.
import { parseArgs, formatFlags, UsageError, type FlagSpec } from '../util/flags.ts';
import { loadWordVectors } from '../train/recipes/word2vec.ts';
import { OutOfVocabularyError, type Neighbour, type WordVectors } from '../models/word-vectors.ts';

const flags: Record<string, FlagSpec> = {
  help: { type: 'boolean', help: 'show this help' },
  n: { type: 'number', help: 'how many words to show (also -n)' },
  restrict: { type: 'number', help: 'only consider the N most frequent words as answers' },
};

export interface Output { write(s: string): unknown }

const usages = {
  similar: `usage: deepten similar VECTORS WORD [-n 10] [--restrict N]

The words nearest to WORD by cosine similarity. VECTORS is a vectors file (the C tool's text or binary format,
or safetensors) or a word2vec run directory.`,
  analogy: `usage: deepten analogy VECTORS A B C [-n 5] [--restrict N]

"A is to B as C is to ?": the words nearest to B − A + C (3CosAdd over unit vectors), leaving out A, B and C.
Example: deepten analogy runs/word2vec/<run> man king woman`,
};

function parse(cmd: 'similar' | 'analogy', argv: string[]) {
  // -n N is the familiar short form
  const args = argv.map((a) => (a === '-n' ? '--n' : a));
  const names = cmd === 'similar' ? ['vectors', 'word'] : ['vectors', 'a', 'b', 'c'];
  const { positionals, flags: f } = parseArgs(args, flags, { command: cmd, positionals: names });
  const want = names.length;
  if (f.help) return { help: true as const };
  if (positionals.length !== want) {
    throw new UsageError(`${cmd}: expected ${want === 2 ? 'VECTORS WORD' : 'VECTORS A B C'}, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}\n\n${usages[cmd]}\n\n${formatFlags(flags)}`);
  }
  const n = (f.n as number | undefined) ?? (cmd === 'similar' ? 10 : 5);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${cmd}: -n must be a positive integer, got ${n}`);
  const restrict = f.restrict as number | undefined;
  if (restrict !== undefined && (!Number.isInteger(restrict) || restrict < 1)) throw new UsageError(`${cmd}: --restrict must be a positive integer, got ${restrict}`);
  return { help: false as const, vectors: positionals[0], words: positionals.slice(1), n, restrict };
}

/** Every query word must have a vector; one message names all that do not. */
function requireWords(wv: WordVectors, words: string[]): void {
  const missing = [...new Set(words.filter((w) => !wv.has(w)))];
  if (missing.length === 0) return;
  const list = missing.map((w) => `'${w}'`).join(', ');
  throw new OutOfVocabularyError(`${list} ${missing.length === 1 ? 'is' : 'are'} not in the vocabulary of ${wv.source} (${wv.size} words): ` +
    `word2vec has no vector for a word it never saw in training, or saw fewer than min-count times`);
}

function table(rows: Neighbour[]): string {
  const w = Math.max(4, ...rows.map((r) => r.word.length));
  return rows.map((r, i) => `${String(i + 1).padStart(3)}  ${r.word.padEnd(w)}  ${r.similarity.toFixed(4)}`).join('\n');
}

export function similar(argv: string[], out: Output = process.stdout): number {
  const a = parse('similar', argv);
  if (a.help) { out.write(`${usages.similar}\n\n${formatFlags(flags)}\n`); return 0; }
  const wv = loadWordVectors(a.vectors);
  requireWords(wv, a.words);
  const rows = wv.mostSimilar([a.words[0]], [], a.n, a.restrict);
  out.write(`nearest to '${a.words[0]}' in ${wv.source} (${wv.size} words, ${wv.dim} dimensions):\n${table(rows)}\n`);
  return 0;
}

export function analogy(argv: string[], out: Output = process.stdout): number {
  const a = parse('analogy', argv);
  if (a.help) { out.write(`${usages.analogy}\n\n${formatFlags(flags)}\n`); return 0; }
  const wv = loadWordVectors(a.vectors);
  requireWords(wv, a.words);
  const [x, y, z] = a.words;
  const rows = wv.analogy(x, y, z, a.n, a.restrict);
  out.write(`'${x}' is to '${y}' as '${z}' is to ? (${wv.source}):\n${table(rows)}\n`);
  return 0;
}
