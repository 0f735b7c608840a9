// Word-vector files: the C word2vec tool's text and binary formats (which gensim's KeyedVectors.load_word2vec_format
// and save_word2vec_format use too), and safetensors.
//   text:   "V D\n", then per word "word x_1 x_2 … x_D\n" (values in decimal)
//   binary: "V D\n", then per word "word " and D little-endian float32s, then "\n" (the C tool writes it; gensim
//           does not, and both readers accept either)
//   safetensors: a tensor "vectors" (V, D) of F32, the words in the metadata "words" as a JSON array.
// Readers check the header against the data and name the file, the record and what is wrong.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';

export type VectorFormat = 'text' | 'binary' | 'safetensors';

export interface VectorsData {
  words: string[];
  /** (V, D) row-major. */
  vectors: Float32Array;
  dim: number;
}

function check(v: VectorsData, fn: string): void {
  if (!Number.isInteger(v.dim) || v.dim < 1) throw new Error(`${fn}: dim must be a positive integer, got ${v.dim}`);
  if (v.vectors.length !== v.words.length * v.dim) throw new Error(`${fn}: ${v.words.length} words × ${v.dim} needs ${v.words.length * v.dim} values, got ${v.vectors.length}`);
  v.words.forEach((w, i) => {
    if (w === '' || /[\s]/.test(w)) throw new Error(`${fn}: word ${i} (${JSON.stringify(w)}) is empty or holds whitespace, which these formats cannot store`);
  });
}

/** The shortest decimal that reads back as the same float32. */
function f32String(x: number): string {
  for (let p = 6; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(Number(x.toPrecision(9)));
}

export function writeVectorsText(path: string, v: VectorsData): void {
  check(v, 'writeVectorsText');
  const D = v.dim;
  const parts: string[] = [`${v.words.length} ${D}\n`];
  const row = new Array<string>(D);
  for (let i = 0; i < v.words.length; i++) {
    for (let c = 0; c < D; c++) row[c] = f32String(v.vectors[i * D + c]);
    parts.push(`${v.words[i]} ${row.join(' ')}\n`);
  }
  writeFileAtomic(path, parts.join(''));
}

export function writeVectorsBinary(path: string, v: VectorsData): void {
  check(v, 'writeVectorsBinary');
  const D = v.dim, enc = new TextEncoder();
  const chunks: Uint8Array[] = [enc.encode(`${v.words.length} ${D}\n`)];
  for (let i = 0; i < v.words.length; i++) {
    chunks.push(enc.encode(v.words[i] + ' '));
    // copy: the row may not be 4-byte aligned in a shared buffer, and little-endian is what the format wants
    chunks.push(new Uint8Array(v.vectors.slice(i * D, (i + 1) * D).buffer));
    chunks.push(enc.encode('\n'));
  }
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('writeVectorsBinary: needs a little-endian host');
  writeFileAtomic(path, chunks);
}

export function writeVectorsSafetensors(path: string, v: VectorsData): void {
  check(v, 'writeVectorsSafetensors');
  writeSafetensors(path, { vectors: { dtype: 'F32', shape: [v.words.length, v.dim], data: v.vectors } },
    { format: 'word-vectors', words: JSON.stringify(v.words) });
}

/** Writes in the format named, or by extension: .safetensors, .bin (binary), anything else text. */
export function writeVectors(path: string, v: VectorsData, format: VectorFormat = formatFromName(path)): void {
  if (format === 'safetensors') writeVectorsSafetensors(path, v);
  else if (format === 'binary') writeVectorsBinary(path, v);
  else writeVectorsText(path, v);
}

export function formatFromName(path: string): VectorFormat {
  return path.endsWith('.safetensors') ? 'safetensors' : path.endsWith('.bin') ? 'binary' : 'text';
}

// ---------------------------------------------------------------- read

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The header "V D": two positive integers on the first line. */
function header(bytes: Uint8Array, file: string): { V: number; D: number; at: number } {
  let nl = bytes.indexOf(10);
  if (nl < 0) nl = bytes.length;
  if (nl > 100) throw new Error(`${file}: not a word2vec vectors file: the first line should be "<words> <dims>"`);
  const line = new TextDecoder().decode(bytes.subarray(0, nl)).trim();
  const m = /^(\d+)\s+(\d+)$/.exec(line);
  if (!m) throw new Error(`${file}: not a word2vec vectors file: the first line should be "<words> <dims>", got ${JSON.stringify(line.slice(0, 40))}`);
  const V = Number(m[1]), D = Number(m[2]);
  if (D < 1 || !Number.isSafeInteger(V) || D > 1 << 20) throw new Error(`${file}: the header's dimension ${D} is not in [1, 2^20]`);
  return { V, D, at: nl + 1 };
}

/** Guesses text or binary from the first record: in text it is a line of D numbers after the word. */
function sniff(bytes: Uint8Array, at: number, D: number): 'text' | 'binary' {
  let nl = bytes.indexOf(10, at);
  if (nl < 0) nl = bytes.length;
  const line = bytes.subarray(at, nl);
  for (const b of line) if (b === 0) return 'binary';
  let s: string;
  try { s = utf8.decode(line); } catch { return 'binary'; }
  const parts = s.trim().split(/\s+/);
  return parts.length === D + 1 && parts.slice(1).every((p) => Number.isFinite(Number(p))) ? 'text' : 'binary';
}

function readText(bytes: Uint8Array, file: string): VectorsData {
  const { V, D, at } = header(bytes, file);
  let text: string;
  try { text = utf8.decode(bytes.subarray(at)); } catch { throw new Error(`${file}: not UTF-8 text (and not a binary vectors file either)`); }
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length !== V) {
    throw new Error(`${file}: the header promises ${V} vectors, the file has ${lines.length} lines after it` +
      (lines.length < V ? ' (is the file truncated?)' : ''));
  }
  if (V * D > 2 ** 31) throw new Error(`${file}: ${V}×${D} vectors are too many to load`);
  const words: string[] = new Array(V);
  const vectors = new Float32Array(V * D);
  for (let i = 0; i < V; i++) {
    const parts = lines[i].trim().split(/[ \t\r]+/);
    if (parts.length !== D + 1) {
      throw new Error(`${file}: line ${i + 2} (${JSON.stringify(parts[0]?.slice(0, 40))}) has ${parts.length - 1} values, the header says ${D}`);
    }
    words[i] = parts[0];
    for (let c = 0; c < D; c++) {
      const x = Number(parts[c + 1]);
      if (!Number.isFinite(x)) throw new Error(`${file}: line ${i + 2} (${JSON.stringify(parts[0])}): value ${c + 1} ${JSON.stringify(parts[c + 1].slice(0, 20))} is not a finite number`);
      vectors[i * D + c] = x;
    }
  }
  return { words, vectors, dim: D };
}

function readBinary(bytes: Uint8Array, file: string): VectorsData {
  const { V, D, at } = header(bytes, file);
  if (V * D > 2 ** 31) throw new Error(`${file}: ${V}×${D} vectors are too many to load`);
  // at least one byte of word, a space and 4·D bytes per vector
  if (bytes.length - at < V * (4 * D + 2)) {
    throw new Error(`${file}: the header promises ${V} vectors of ${D} float32s, but the file has only ${bytes.length - at} bytes ` +
      `after it (at least ${V * (4 * D + 2)} needed): wrong header, or a truncated file`);
  }
  const words: string[] = new Array(V);
  const vectors = new Float32Array(V * D);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = at;
  for (let i = 0; i < V; i++) {
    while (p < bytes.length && bytes[p] === 10) p++;  // the C tool's newline after the previous vector
    const sp = bytes.indexOf(32, p);
    if (sp < 0 || sp - p > 1000 || sp === p) {
      throw new Error(`${file}: vector ${i + 1} of ${V}: no word followed by a space at byte ${p}: the header's count or dimension (${D}) is wrong, or the file is damaged`);
    }
    try { words[i] = utf8.decode(bytes.subarray(p, sp)); } catch {
      throw new Error(`${file}: vector ${i + 1} of ${V}: the word at byte ${p} is not UTF-8: the header's dimension (${D}) may be wrong`);
    }
    p = sp + 1;
    if (p + 4 * D > bytes.length) {
      throw new Error(`${file}: the file ends inside vector ${i + 1} of ${V} (${JSON.stringify(words[i])}): the header's count or dimension is wrong, or the file is truncated`);
    }
    for (let c = 0; c < D; c++) vectors[i * D + c] = view.getFloat32(p + 4 * c, true);
    p += 4 * D;
  }
  while (p < bytes.length && (bytes[p] === 10 || bytes[p] === 13 || bytes[p] === 32)) p++;
  if (p !== bytes.length) throw new Error(`${file}: ${bytes.length - p} bytes follow the ${V} vectors the header announces: the header's count or dimension is wrong`);
  for (let i = 0; i < vectors.length; i++) {
    if (!Number.isFinite(vectors[i])) throw new Error(`${file}: vector ${Math.floor(i / D) + 1} (${JSON.stringify(words[Math.floor(i / D)])}) holds ${vectors[i]}`);
  }
  return { words, vectors, dim: D };
}

function readSafetensorVectors(bytes: Uint8Array, file: string): VectorsData {
  const st = readSafetensors(bytes, file);
  const t = st.tensors.vectors;
  if (!t) throw new Error(`${file}: no tensor named 'vectors' (has: ${Object.keys(st.tensors).join(', ') || 'none'})`);
  if (t.shape.length !== 2) throw new Error(`${file}: 'vectors' must be 2-D (words, dims), got shape [${t.shape.join(', ')}]`);
  let words: unknown;
  try { words = JSON.parse(st.metadata.words ?? 'null'); } catch { words = null; }
  if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) throw new Error(`${file}: the metadata has no 'words' list (a JSON array of strings)`);
  if (words.length !== t.shape[0]) throw new Error(`${file}: ${words.length} words for ${t.shape[0]} vectors`);
  const vectors = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  return { words: words as string[], vectors, dim: t.shape[1] };
}

function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 0n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;  // '{'
}

/** Reads word vectors in any of the three formats (guessed from the bytes unless given). */
export function readVectors(path: string, format?: VectorFormat): VectorsData & { format: VectorFormat } {
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch (e) { throw new Error(`${path}: cannot read the vectors: ${(e as Error).message}`); }
  if (bytes.length === 0) throw new Error(`${path}: the file is empty`);
  const fmt = format ?? (isSafetensors(bytes) ? 'safetensors' : (() => { const h = header(bytes, path); return sniff(bytes, h.at, h.D); })());
  const v = fmt === 'safetensors' ? readSafetensorVectors(bytes, path) : fmt === 'binary' ? readBinary(bytes, path) : readText(bytes, path);
  return { ...v, format: fmt };
}
