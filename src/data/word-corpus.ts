// A streaming word tokenizer for large text corpora (text8, the shipped English corpus, any text file): it reads the
// file's bytes in chunks and turns them into word indices, an Int32Array, without ever making one JavaScript string
// per token (only one per distinct word). Words are split on ASCII whitespace, as the C word2vec tool and gensim do;
// a line ends a sentence, and a sentence longer than maxSentenceLength tokens is cut into pieces of that length
// (gensim's LineSentence / Text8Corpus limit, 10,000), so text8-style corpora (one line) become 10,000-word sentences.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';

export interface WordCorpus {
  /** Distinct words, in order of first appearance. */
  words: string[];
  /** counts[i]: occurrences of words[i]. */
  counts: Float64Array;
  /** Every token as an index into words, in corpus order. */
  tokens: Int32Array;
  /** Sentence s is tokens[sentenceStarts[s] .. sentenceStarts[s + 1]); no sentence is empty. */
  sentenceStarts: Int32Array;
  /** The file read (or a label for in-memory text), for messages. */
  source: string;
}

export interface WordCorpusOptions {
  /** Longest sentence, in tokens; longer lines are cut (default 10,000, gensim's MAX_WORDS_IN_BATCH). */
  maxSentenceLength?: number;
  /** Bytes read per chunk (default 4 MiB). */
  chunkBytes?: number;
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** Grows an Int32Array to at least n elements (doubling). */
function grow(a: Int32Array, n: number): Int32Array {
  if (n <= a.length) return a;
  const b = new Int32Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Accumulates tokens from byte chunks. A word is stored once, as bytes in an arena, and found again through an
 * open-addressing hash table (FNV-1a over the bytes), so a token costs a hash and a byte comparison, not a string.
 */
export class WordTokenizer {
  private readonly maxLen: number;
  private readonly source: string;
  // distinct words: bytes in arena[wordStart[i] .. wordStart[i + 1]), hash in wordHash[i]
  private arena: Uint8Array = new Uint8Array(1 << 16);
  private arenaUsed = 0;
  private wordStart: Int32Array = new Int32Array(1024);
  private wordHash: Int32Array = new Int32Array(1024);
  private count = new Float64Array(1024);
  private nWords = 0;
  // hash table: slot → word index + 1 (0 = empty); capacity a power of two, kept at most half full
  private slots: Int32Array = new Int32Array(1 << 12);
  // the token stream and sentence boundaries
  private tokens: Int32Array = new Int32Array(1 << 16);
  private nTokens = 0;
  private starts: Int32Array = new Int32Array(1024);
  private nSentences = 0;
  private sentenceLength = 0;
  // bytes after the last whitespace of the previous chunk (an unfinished word), and bytes consumed so far
  private carry: Uint8Array = new Uint8Array(0);
  private offset = 0;

  constructor(source = '<text>', opts: WordCorpusOptions = {}) {
    const maxLen = opts.maxSentenceLength ?? 10_000;
    if (!Number.isInteger(maxLen) || maxLen < 1) throw new Error(`WordTokenizer: maxSentenceLength must be a positive integer, got ${maxLen}`);
    this.maxLen = maxLen;
    this.source = source;
    this.wordStart[0] = 0;
  }

  /** Feeds the next bytes of the text. A word split across two chunks is joined. */
  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.carry.length) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    // everything up to the last whitespace byte is complete; the rest waits for the next chunk
    let end = bytes.length;
    while (end > 0 && !isSpace(bytes[end - 1])) end--;
    this.scan(bytes, end);
    this.offset += end;
    this.carry = bytes.slice(end);
  }

  /** The corpus, after the last chunk. */
  finish(): WordCorpus {
    if (this.carry.length) {
      const last = this.carry;
      this.carry = new Uint8Array(0);
      this.scan(last, last.length);
      this.offset += last.length;
    }
    this.endSentence();
    const decoder = new TextDecoder('utf-8');
    const words = new Array<string>(this.nWords);
    for (let i = 0; i < this.nWords; i++) words[i] = decoder.decode(this.arena.subarray(this.wordStart[i], this.wordStart[i + 1]));
    this.starts = grow(this.starts, this.nSentences + 1);
    this.starts[this.nSentences] = this.nTokens;
    return {
      words,
      counts: this.count.slice(0, this.nWords),
      tokens: this.tokens.slice(0, this.nTokens),
      sentenceStarts: this.starts.slice(0, this.nSentences + 1),
      source: this.source,
    };
  }

  /** Tokenizes bytes[0, end), which ends at whitespace (or is the end of the text). */
  private scan(bytes: Uint8Array, end: number): void {
    if (!isUtf8(bytes.subarray(0, end))) this.badUtf8(bytes, end);
    let i = 0;
    while (i < end) {
      const c = bytes[i];
      if (isSpace(c)) {
        if (c === 10) this.endSentence();
        i++;
        continue;
      }
      // FNV-1a over the word's bytes
      const start = i;
      let h = 0x811c9dc5 | 0;
      while (i < end && !isSpace(bytes[i])) { h = Math.imul(h ^ bytes[i], 0x01000193); i++; }
      this.addToken(this.lookup(bytes, start, i, h));
    }
  }

  private addToken(id: number): void {
    if (this.sentenceLength === 0) {
      if (this.nSentences + 2 > this.starts.length) this.starts = grow(this.starts, this.nSentences + 2);
      this.starts[this.nSentences++] = this.nTokens;
    }
    if (this.nTokens === this.tokens.length) this.tokens = grow(this.tokens, this.nTokens + 1);
    this.tokens[this.nTokens++] = id;
    this.count[id]++;
    if (++this.sentenceLength === this.maxLen) this.sentenceLength = 0;
  }

  private endSentence(): void {
    this.sentenceLength = 0;
  }

  /** The index of the word bytes[start, end) with hash h, adding it if new. */
  private lookup(bytes: Uint8Array, start: number, end: number, h: number): number {
    const len = end - start;
    let mask = this.slots.length - 1;
    let s = h & mask;
    for (;;) {
      const v = this.slots[s];
      if (v === 0) break;
      const w = v - 1;
      if (this.wordHash[w] === h && this.wordStart[w + 1] - this.wordStart[w] === len) {
        const a = this.wordStart[w];
        let k = 0;
        while (k < len && this.arena[a + k] === bytes[start + k]) k++;
        if (k === len) return w;
      }
      s = (s + 1) & mask;
    }
    // a new word
    const w = this.nWords++;
    if (this.nWords + 1 > this.wordStart.length) {
      this.wordStart = grow(this.wordStart, this.nWords + 1);
      this.wordHash = grow(this.wordHash, this.nWords + 1);
      const c = new Float64Array(this.wordStart.length);
      c.set(this.count);
      this.count = c;
    }
    if (this.arenaUsed + len > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      a.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = a;
    }
    this.arena.set(bytes.subarray(start, end), this.arenaUsed);
    this.arenaUsed += len;
    this.wordStart[w + 1] = this.arenaUsed;
    this.wordHash[w] = h;
    if (2 * this.nWords > this.slots.length) {
      this.rehash();
      mask = this.slots.length - 1;
      s = h & mask;
      while (this.slots[s] !== 0) s = (s + 1) & mask;
    }
    this.slots[s] = w + 1;
    return w;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let w = 0; w < this.nWords - 1; w++) {
      let s = this.wordHash[w] & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = w + 1;
    }
    this.slots = slots;
  }

  private badUtf8(bytes: Uint8Array, end: number): never {
    // find the first line that does not decode, to point at it
    let lineStart = 0, line = 0;
    for (let i = 0; i <= end; i++) {
      if (i === end || bytes[i] === 10) {
        if (!isUtf8(bytes.subarray(lineStart, i))) break;
        lineStart = i + 1;
        line++;
      }
    }
    let bad = lineStart;
    while (bad < end && bytes[bad] < 0x80) bad++;
    throw new Error(`${this.source}: not UTF-8 text: invalid byte sequence near byte offset ${this.offset + bad} ` +
      `(0x${bytes[bad]?.toString(16).padStart(2, '0')}); re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)`);
  }
}

/** Tokenizes a text file, streaming it in chunks. */
export function readWordCorpus(path: string, opts: WordCorpusOptions = {}): WordCorpus {
  let fd: number;
  try {
    if (!statSync(path).isFile()) throw new Error('not a regular file');
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`${path}: cannot read the corpus: ${(e as Error).message}`);
  }
  const tok = new WordTokenizer(path, opts);
  const buf = new Uint8Array(opts.chunkBytes ?? 1 << 22);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      tok.push(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return tok.finish();
}

/** Tokenizes text held in memory (tests, small examples). */
export function tokenizeText(text: string | Uint8Array, opts: WordCorpusOptions & { source?: string } = {}): WordCorpus {
  const tok = new WordTokenizer(opts.source ?? '<text>', opts);
  tok.push(typeof text === 'string' ? new TextEncoder().encode(text) : text);
  return tok.finish();
}
