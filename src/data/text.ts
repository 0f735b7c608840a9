// Text datasets: Penn Treebank (word LM), Tiny Shakespeare (char LM), Multi30k (de→en translation),
// a text8-style corpus (word2vec) and the Google analogy questions (word2vec evaluation).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir, type DataDirOptions } from './paths.ts';
import { CharTokenizer, EOS, UNK, Vocab, wordTokenize } from './tokenize.ts';

function readText(path: string, what: string): string {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch (e) { throw new Error(`${what}: cannot read ${path}: ${(e as Error).message}`); }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new Error(`${what}: ${path} is not valid UTF-8 text`);
  }
}

/** Lines without the final empty line a trailing '\n' leaves. */
function lines(text: string): string[] {
  const ls = text.split('\n');
  if (ls.length && ls[ls.length - 1] === '') ls.pop();
  return ls;
}

// ---------------------------------------------------------------- PTB

export interface PtbData {
  /** Word indices, the whole split as one stream (each line's words, then <eos>). */
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
  /** From the training split, in order of first appearance (no extra special tokens: PTB has <unk>; <eos> is added). */
  vocab: Vocab;
}

/** Penn Treebank, Mikolov's preprocessing; tokens = line.split() + ['<eos>'] (Zaremba et al.; PyTorch word_language_model). */
export function loadPtb(opts: DataDirOptions = {}): PtbData {
  const dir = resolveDataDir('ptb', opts);
  const words = (s: string) => wordsOf(readText(join(dir, `ptb.${s}.txt`), 'ptb'));
  const train = words('train');
  const vocab = Vocab.build([train], { specials: [], order: 'first' });
  if (!vocab.has('<unk>')) throw new Error(`ptb: ${join(dir, 'ptb.train.txt')} has no <unk> token; is it Mikolov's preprocessed PTB?`);
  return { train: vocab.encode(train), valid: vocab.encode(words('valid')), test: vocab.encode(words('test')), vocab };
}

// ---------------------------------------------------------------- any word corpus in PTB's format

/** Each line's whitespace tokens, then <eos> (PTB's format: one sentence per line). */
export function wordsOf(text: string): string[] {
  const out: string[] = [];
  for (const l of lines(text)) out.push(...wordTokenize(l), EOS);
  return out;
}

/**
 * The ids of a text file in PTB's format through `vocab`; words outside it become <unk> (which the vocabulary must
 * have) and are counted; `words` counts the file's words (not the <eos> added per line). An empty file (no words)
 * is an error naming it.
 */
export function encodeWordFile(path: string, vocab: Vocab, what = 'text'): { ids: Int32Array; unknown: number; words: number } {
  const words = wordsOf(readText(path, what));
  if (!words.some((w) => w !== EOS)) throw new Error(`${what}: ${path} holds no words`);
  const unk = vocab.unkIndex;
  let unknown = 0;
  const ids = new Int32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const k = vocab.lookup(words[i]);
    if (k >= 0) { ids[i] = k; continue; }
    if (unk < 0) throw new Error(`${what}: ${path}: word ${JSON.stringify(words[i])} is not in the vocabulary, which has no <unk>`);
    ids[i] = unk;
    unknown++;
  }
  return { ids, unknown, words: words.filter((w) => w !== EOS).length };
}

/**
 * A word-level corpus in PTB's format: DIR/train.txt, valid.txt and test.txt, whitespace tokens, one sentence per
 * line, <eos> added at each line's end. The vocabulary is the training split's words in order of first appearance,
 * plus <unk> when the corpus has none (validation and test words outside it map to <unk>).
 */
export function loadWordCorpus(dir: string): PtbData {
  const what = 'text corpus';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${what}: --data-dir ${dir} is not a directory`);
  const files = ['train.txt', 'valid.txt', 'test.txt'].map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`${what}: ${missing.join(', ')} not found (a corpus needs train.txt, valid.txt and test.txt)`);
  const train = wordsOf(readText(files[0], what));
  if (!train.some((w) => w !== EOS)) throw new Error(`${what}: ${files[0]} holds no words`);
  let vocab = Vocab.build([train], { specials: [], order: 'first' });
  if (!vocab.has(UNK)) vocab = new Vocab([...vocab.itos, UNK]);
  const [valid, test] = files.slice(1).map((f) => encodeWordFile(f, vocab, what).ids);
  return { train: vocab.encode(train), valid, test, vocab };
}

// ---------------------------------------------------------------- Tiny Shakespeare

export interface CharData {
  text: string;
  tokenizer: CharTokenizer;
  /** First 90% of the characters (nanoGPT: int(0.9·N)). */
  train: Int32Array;
  /** The last 10%. */
  val: Int32Array;
}

export function loadTinyShakespeare(opts: DataDirOptions = {}): CharData {
  if (opts.dataDir && !existsSync(join(opts.dataDir, 'input.txt')) && !existsSync(join(opts.dataDir, 'tinyshakespeare', 'input.txt'))) {
    // a word corpus handed to the character recipe: say so, rather than a generic not-found
    const words = ['train.txt', 'ptb.train.txt'].find((f) => existsSync(join(opts.dataDir!, f)));
    if (words) throw new Error(`tinyshakespeare: ${opts.dataDir} holds a word corpus (${words}), not the character corpus input.txt; train a word model with --dataset ${words === 'train.txt' ? 'text' : 'ptb'} --data-dir ${opts.dataDir}`);
  }
  const dir = resolveDataDir('tinyshakespeare', opts);
  const text = readText(join(dir, 'input.txt'), 'tinyshakespeare');
  if (text.length === 0) throw new Error(`tinyshakespeare: ${join(dir, 'input.txt')} is empty`);
  const tokenizer = new CharTokenizer(text);
  const ids = tokenizer.encode(text);
  const cut = Math.floor(0.9 * ids.length);
  return { text, tokenizer, train: ids.slice(0, cut), val: ids.slice(cut) };
}

// ---------------------------------------------------------------- Multi30k

export interface SentencePair {
  /** German tokens (source) */
  src: string[];
  /** English tokens (target) */
  tgt: string[];
}

export interface Multi30kData {
  train: SentencePair[];
  valid: SentencePair[];
  test: SentencePair[];
}

/** Multi30k task 1, lower-cased Moses-tokenised files (tok/), as de → en pairs. */
export function loadMulti30k(opts: DataDirOptions = {}): Multi30kData {
  const dir = resolveDataDir('multi30k', opts);
  const split = (s: string): SentencePair[] => {
    const de = lines(readText(join(dir, `${s}.lc.norm.tok.de`), 'multi30k'));
    const en = lines(readText(join(dir, `${s}.lc.norm.tok.en`), 'multi30k'));
    if (de.length !== en.length) throw new Error(`multi30k: ${join(dir, s)}.lc.norm.tok.{de,en} have ${de.length} and ${en.length} lines; line i of one must translate line i of the other`);
    return de.map((l, i) => ({ src: wordTokenize(l), tgt: wordTokenize(en[i]) }));
  };
  return { train: split('train'), valid: split('val'), test: split('test_2016_flickr') };
}

// ---------------------------------------------------------------- text8-style corpus

export interface CorpusOptions extends DataDirOptions {
  /** 'text8' (Mahoney's text8) or 'english_corpus' (nltk_mix8.txt); default: text8 if present, else english_corpus. */
  name?: 'text8' | 'english_corpus';
}

/** Whitespace-separated words of a text8-style corpus file. */
export function readWords(path: string): string[] {
  return wordTokenize(readText(path, 'readWords'));
}

export function loadTextCorpus(opts: CorpusOptions = {}): string[] {
  if (opts.name) {
    const dir = resolveDataDir(opts.name, opts);
    return readWords(join(dir, opts.name === 'text8' ? 'text8' : 'nltk_mix8.txt'));
  }
  try {
    return readWords(join(resolveDataDir('text8', opts), 'text8'));
  } catch (e) {
    if (!/not found/.test((e as Error).message)) throw e;
    return readWords(join(resolveDataDir('english_corpus', opts), 'nltk_mix8.txt'));
  }
}

// ---------------------------------------------------------------- analogies

export interface AnalogySection {
  name: string;
  /** The first 5 sections of questions-words.txt are semantic, the other 9 syntactic. */
  semantic: boolean;
  /** a : b :: c : d, as written in the file (mixed case). */
  questions: [string, string, string, string][];
}

export function parseAnalogies(text: string, file = '<text>'): AnalogySection[] {
  const sections: AnalogySection[] = [];
  lines(text).forEach((raw, i) => {
    const l = raw.trim();
    if (!l) return;
    if (l.startsWith(':')) {
      const name = l.slice(1).trim();
      sections.push({ name, semantic: !name.startsWith('gram'), questions: [] });
      return;
    }
    const w = l.split(/\s+/);
    if (w.length !== 4) throw new Error(`analogies: ${file}: line ${i + 1} has ${w.length} words, expected 4: ${JSON.stringify(l.slice(0, 80))}`);
    if (!sections.length) throw new Error(`analogies: ${file}: line ${i + 1} comes before the first ': section' line`);
    sections[sections.length - 1].questions.push(w as [string, string, string, string]);
  });
  return sections;
}

/** Mikolov's analogy test set (questions-words.txt). */
export function loadAnalogies(opts: DataDirOptions = {}): AnalogySection[] {
  const path = join(resolveDataDir('analogies', opts), 'questions-words.txt');
  return parseAnalogies(readText(path, 'analogies'), path);
}
