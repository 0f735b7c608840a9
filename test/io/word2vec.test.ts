// Word-vector files (src/io/word2vec.ts): the C tool's text and binary formats and safetensors round-trip; files
// written by gensim (test/fixtures/gen_word2vec.py) read back to gensim's values; gensim reads ours (when
// python3-gensim is installed); lying headers and damaged files give clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readVectors, writeVectors, writeVectorsBinary, writeVectorsText, type VectorsData } from '../../src/io/word2vec.ts';
import { Generator } from '../../src/random.ts';

const fx = fileURLToPath(new URL('../fixtures/word2vec/', import.meta.url));
const gen = JSON.parse(readFileSync(join(fx, 'gensim.json'), 'utf8')) as { words: string[]; dim: number; vectors: number[] };
const gensimScript = fileURLToPath(new URL('../fixtures/gen_word2vec.py', import.meta.url));
const hasGensim = spawnSync('/usr/bin/python3', ['-c', 'import gensim'], { encoding: 'utf8' }).status === 0;

function sample(): VectorsData {
  const g = new Generator(1);
  const words = ['the', 'of', 'café', 'naïve', 'Zürich', '日本', 'x'];
  const dim = 5;
  const vectors = new Float32Array(words.length * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = g.normal() * 10 ** g.randint(-4, 3);
  vectors[3] = 0; vectors[4] = -1e-30; vectors[5] = 3.4e38;
  return { words, vectors, dim };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-vec-'));

test('text, binary and safetensors round-trip exactly (float32), and each is recognised from its bytes', () => {
  const v = sample(), dir = tmp();
  for (const [name, format] of [['v.txt', 'text'], ['v.bin', 'binary'], ['v.safetensors', 'safetensors']] as const) {
    const p = join(dir, name);
    writeVectors(p, v);
    const r = readVectors(p);
    assert.equal(r.format, format);
    assert.deepEqual(r.words, v.words);
    assert.equal(r.dim, v.dim);
    assert.deepEqual(Array.from(r.vectors), Array.from(v.vectors), name);
  }
  // the C tool's layouts
  const text = readFileSync(join(dir, 'v.txt'), 'utf8').split('\n');
  assert.equal(text[0], '7 5');
  assert.equal(text[1].split(' ').length, 6);
  const bin = readFileSync(join(dir, 'v.bin'));
  assert.equal(bin.subarray(0, 8).toString(), '7 5\nthe ');
  assert.equal(bin.readFloatLE(8), v.vectors[0]);
  assert.equal(bin[8 + 20], 10, 'a newline after each vector, as the C tool writes');
});

test('reads gensim-written text and binary files to gensim\'s values', () => {
  for (const f of ['gensim.txt', 'gensim.bin']) {
    const r = readVectors(join(fx, f));
    assert.equal(r.format, f.endsWith('.bin') ? 'binary' : 'text');
    assert.deepEqual(r.words, gen.words);
    assert.equal(r.dim, gen.dim);
    // gensim's values are float32: both files give them exactly
    assert.deepEqual(Array.from(r.vectors), gen.vectors.map(Math.fround), f);
  }
});

test('gensim\'s KeyedVectors.load_word2vec_format reads our text and binary files', { skip: hasGensim ? false : 'python3-gensim is not installed' }, () => {
  const v = sample(), dir = tmp();
  for (const name of ['ours.txt', 'ours.bin']) {
    const p = join(dir, name);
    writeVectors(p, v);
    const r = spawnSync('/usr/bin/python3', [gensimScript, 'read', p], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { words: string[]; vectors: number[]; dim: number };
    assert.deepEqual(got.words, v.words);
    assert.equal(got.dim, v.dim);
    assert.deepEqual(got.vectors, Array.from(v.vectors), name);
  }
});

test('lying headers and damaged files: a clear error naming the file and the record', () => {
  const v = sample(), dir = tmp();
  const txt = join(dir, 'v.txt'), bin = join(dir, 'v.bin');
  writeVectorsText(txt, v);
  writeVectorsBinary(bin, v);
  const lines = readFileSync(txt, 'utf8').split('\n');
  const write = (name: string, data: string | Buffer) => { const p = join(dir, name); writeFileSync(p, data); return p; };
  // text: more vectors promised than present, fewer, a short line, a bad number
  assert.throws(() => readVectors(write('more.txt', ['9 5', ...lines.slice(1)].join('\n'))), /more\.txt: the header promises 9 vectors, the file has 7 lines after it \(is the file truncated\?\)/);
  assert.throws(() => readVectors(write('fewer.txt', ['6 5', ...lines.slice(1)].join('\n'))), /fewer\.txt: the header promises 6 vectors, the file has 7 lines/);
  const short = lines.slice(); short[3] = short[3].split(' ').slice(0, 4).join(' ');
  assert.throws(() => readVectors(write('short.txt', short.join('\n')), 'text'), /short\.txt: line 4 \("café"\) has 3 values, the header says 5/);
  const nan = lines.slice(); nan[2] = nan[2].replace(/ \S+$/, ' abc');
  assert.throws(() => readVectors(write('nan.txt', nan.join('\n')), 'text'), /nan\.txt: line 3 \("of"\): value 5 "abc" is not a finite number/);
  // binary: a header with the wrong count or dimension, a truncated file, trailing data
  const b = readFileSync(bin);
  const body = b.subarray(b.indexOf(10) + 1);
  assert.throws(() => readVectors(write('count.bin', Buffer.concat([Buffer.from('8 5\n'), body])), 'binary'), /count\.bin: (the header promises 8 vectors|vector 8 of 8: no word followed by a space.*the header's count or dimension)/);
  assert.throws(() => readVectors(write('dim.bin', Buffer.concat([Buffer.from('7 4\n'), body])), 'binary'), /dim\.bin: .*(header's|dimension)/);
  assert.throws(() => readVectors(write('few.bin', Buffer.concat([Buffer.from('5 5\n'), body])), 'binary'), /few\.bin: \d+ bytes follow the 5 vectors the header announces/);
  assert.throws(() => readVectors(write('cut.bin', b.subarray(0, b.length - 30)), 'binary'), /cut\.bin: .*(truncated|only)/);
  // not a vectors file at all; empty; missing
  assert.throws(() => readVectors(write('prose.txt', 'Call me Ishmael. Some years ago\n')), /prose\.txt: not a word2vec vectors file: the first line should be "<words> <dims>"/);
  assert.throws(() => readVectors(write('empty.txt', '')), /empty\.txt: the file is empty/);
  assert.throws(() => readVectors(join(dir, 'missing.bin')), /missing\.bin: cannot read the vectors/);
  // a word with a space cannot be written in these formats
  assert.throws(() => writeVectorsText(join(dir, 'x.txt'), { words: ['a b'], vectors: new Float32Array(1), dim: 1 }), /holds whitespace/);
});
