// CIFAR-10 (binary version): record layout → CHW images, the lookup order and folder layouts, clean errors on
// bad files (and a seeded fuzz of them), and the download path: tarball from a loopback mirror, unpacked safely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadCifar10, CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD, ensureDataset, loadMnist } from '../../src/data/index.ts';
import { packTar, type TarWriteEntry } from '../../src/io/tar.ts';
import { Generator } from '../../src/random.ts';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const RECORD = 3073;
const TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const ALL = [...TRAIN, 'test_batch.bin'];
const URL_RE = /https:\/\/www\.cs\.toronto\.edu\/~kriz\/cifar-10-binary\.tar\.gz/;

/** The known pixel of global record r (train and test numbered separately), channel c, row y, column x. */
const pixel = (r: number, c: number, y: number, x: number) => (r * 37 + c * 101 + y * 7 + x * 3) % 256;
const trainLabel = (r: number) => (r * 3) % 10;
const testLabel = (r: number) => 9 - (r % 10);

/** `count` records starting at global record `first`: label byte, then the R, G and B planes, each row-major. */
function records(first: number, count: number, label: (r: number) => number): Uint8Array {
  const b = new Uint8Array(count * RECORD);
  for (let k = 0; k < count; k++) {
    const r = first + k, o = k * RECORD;
    b[o] = label(r);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) b[o + 1 + c * 1024 + y * 32 + x] = pixel(r, c, y, x);
  }
  return b;
}

const trainCounts = [2, 1, 1, 1, 2]; // 7 train records over the five batches
const testCount = 3;

/** The synthetic dataset's files by name (batches.meta.txt only when meta is given). */
function dataset(meta?: string): Record<string, Uint8Array | string> {
  const files: Record<string, Uint8Array | string> = {};
  let r = 0;
  TRAIN.forEach((f, i) => { files[f] = records(r, trainCounts[i], trainLabel); r += trainCounts[i]; });
  files['test_batch.bin'] = records(0, testCount, testLabel);
  if (meta !== undefined) files['batches.meta.txt'] = meta;
  return files;
}

function writeDataset(dir: string, meta?: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [f, b] of Object.entries(dataset(meta))) writeFileSync(join(dir, f), b);
}

/** Runs fn with an isolated lookup order (DEEPTEN_DATA and HOME in a fresh tmp dir), restoring the environment. */
async function isolated<T>(fn: (root: string) => T | Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), 'deepten-cifar-'));
  const keys = ['DEEPTEN_DATA', 'HOME', 'DEEPTEN_MIRROR', 'DEEPTEN_OFFLINE'];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  process.env.DEEPTEN_DATA = join(root, 'data');
  process.env.HOME = join(root, 'home');
  delete process.env.DEEPTEN_MIRROR;
  delete process.env.DEEPTEN_OFFLINE;
  try { return await fn(root); } finally {
    for (const k of keys) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    rmSync(root, { recursive: true, force: true });
  }
}

const META = 'plane\ncar\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n';

test('loadCifar10: records become CHW images in 0..1, train batches read in order, labels and class names', async () => {
  await isolated((root) => {
    const dir = join(root, 'flat');
    writeDataset(dir, META);
    const tr = loadCifar10({ dataDir: dir });
    assert.deepEqual([tr.n, tr.channels, tr.rows, tr.cols], [7, 3, 32, 32]);
    assert.equal(tr.images.length, 7 * 3 * 32 * 32);
    assert.deepEqual([...tr.labels], [0, 1, 2, 3, 4, 5, 6].map(trainLabel));
    const want = new Float32Array(7 * 3072);
    for (let r = 0; r < 7; r++) for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) want[r * 3072 + c * 1024 + y * 32 + x] = pixel(r, c, y, x) / 255;
    assert.deepEqual(tr.images, want);
    // one value by hand: image 4 (data_batch_4's only record), green plane, row 2, column 5
    assert.equal(tr.images[4 * 3072 + 1 * 1024 + 2 * 32 + 5], Math.fround(((4 * 37 + 101 + 14 + 15) % 256) / 255));
    assert.deepEqual(tr.classNames, ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);

    const te = loadCifar10({ dataDir: dir, split: 'test' });
    assert.deepEqual([te.n, te.channels], [3, 3]);
    assert.deepEqual([...te.labels], [9, 8, 7]);
    assert.equal(te.images[2 * 3072 + 2 * 1024 + 31 * 32 + 31], Math.fround(pixel(2, 2, 31, 31) / 255));

    // limit: the first examples in file order, crossing from data_batch_1 into data_batch_2
    const lim = loadCifar10({ dataDir: dir, limit: 3 });
    assert.equal(lim.n, 3);
    assert.deepEqual([...lim.labels], [...tr.labels.subarray(0, 3)]);
    assert.deepEqual(lim.images, tr.images.subarray(0, 3 * 3072));
    assert.equal(loadCifar10({ dataDir: dir, limit: 0 }).images.length, 0);
    assert.equal(loadCifar10({ dataDir: dir, limit: 1000 }).n, 7);

    // without batches.meta.txt: the standard names
    unlinkSync(join(dir, 'batches.meta.txt'));
    assert.deepEqual(loadCifar10({ dataDir: dir, split: 'test' }).classNames, CIFAR10_CLASSES);
  });
});

test('loadCifar10 finds the files in every documented place: flat or under cifar-10-batches-bin/, dataDir, DEEPTEN_DATA, cache', async () => {
  await isolated((root) => {
    const firstLabel = (opts = {}) => loadCifar10({ split: 'test', limit: 1, ...opts }).labels[0];
    const place = (dir: string, label: number) => {
      writeDataset(dir);
      writeFileSync(join(dir, 'test_batch.bin'), records(0, 1, () => label));
    };
    place(join(root, 'home', '.cache', 'deepten', 'cifar10'), 1);
    assert.equal(firstLabel(), 1, '~/.cache/deepten/cifar10/');
    place(join(root, 'data', 'cifar10', 'cifar-10-batches-bin'), 2);
    assert.equal(firstLabel(), 2, '$DEEPTEN_DATA/cifar10/cifar-10-batches-bin/ comes before the cache');
    place(join(root, 'explicit', 'cifar-10-batches-bin'), 3);
    assert.equal(firstLabel({ dataDir: join(root, 'explicit') }), 3, 'dataDir holding cifar-10-batches-bin/');
    place(join(root, 'flat'), 4);
    assert.equal(firstLabel({ dataDir: join(root, 'flat') }), 4, 'dataDir holding the files');
    place(join(root, 'parent', 'cifar10'), 5);
    assert.equal(firstLabel({ dataDir: join(root, 'parent') }), 5, 'dataDir holding cifar10/');
    mkdirSync(join(root, 'empty'));
    assert.throws(() => firstLabel({ dataDir: join(root, 'empty') }), /dataset 'cifar10' not found locally/, 'an explicit dataDir without the files is an error, not a fall-back');
    assert.throws(() => firstLabel({ dataDir: join(root, 'nowhere') }), /--data-dir .*nowhere: no such directory/);
  });
});

test('loadCifar10: wrong sizes, bad labels, bad class lists and bad options are clean errors naming the file', async () => {
  await isolated((root) => {
    const dir = join(root, 'd');
    const check = (file: string, bytes: Uint8Array | string, re: RegExp, opts = {}) => {
      writeDataset(dir);
      writeFileSync(join(dir, file), bytes);
      const path = join(dir, file);
      assert.throws(() => loadCifar10({ dataDir: dir, ...opts }), (e: Error) => e.constructor === Error && e.message.startsWith(`cifar10: ${path}: `) && re.test(e.message), `${file}: ${re}`);
    };
    const good = records(0, 2, trainLabel);
    const sizeRe = (n: number) => new RegExp(`: ${n} bytes is not a whole, non-zero number of 3073-byte records \\(1 label byte \\+ 3072 pixel bytes\\); the file is truncated or not from the CIFAR-10 binary version`);
    check('data_batch_3.bin', good.subarray(0, RECORD * 2 - 5), sizeRe(6141), { limit: 1 }); // checked even when not read
    check('data_batch_1.bin', Uint8Array.of(...good, 0), sizeRe(6147));
    check('test_batch.bin', new Uint8Array(0), sizeRe(0), { split: 'test' });
    check('data_batch_2.bin', new Uint8Array(3074 * 2), /3074-byte records are CIFAR-100's format \(two label bytes\)/);
    const badLabel = records(0, 3, testLabel);
    badLabel[RECORD] = 10;
    check('test_batch.bin', badLabel, /record 1 \(byte 3073\) has label 10, outside the 10 classes 0\.\.9/, { split: 'test' });
    check('batches.meta.txt', 'a\nb\nc\n', /expected 10 class names, one per line, got 3/);

    writeDataset(dir);
    assert.throws(() => loadCifar10({ dataDir: dir, split: 'val' as 'test' }), /cifar10: split must be 'train' or 'test', got 'val'/);
    assert.throws(() => loadCifar10({ dataDir: dir, limit: -1 }), /cifar10: limit must be a non-negative integer, got -1/);
    assert.throws(() => loadCifar10({ dataDir: dir, limit: 1.5 }), /limit must be a non-negative integer/);
  });
});

test('missing files: one error naming the expected files, the canonical URL and where to put them; offline never fetches', async () => {
  await isolated(async (root) => {
    const dir = join(root, 'partial');
    writeDataset(dir);
    unlinkSync(join(dir, 'data_batch_4.bin'));
    const notFound = (e: Error) => {
      assert.match(e.message, /dataset 'cifar10' not found locally/);
      assert.ok(e.message.includes(`expected files: ${ALL.join(', ')}\n`), e.message);
      assert.match(e.message, URL_RE);
      assert.match(e.message, /binary version/);
      assert.ok(e.message.includes(`put them in:   ${join(dir, 'cifar10')}/`), e.message);
      assert.ok(e.message.includes(`${join(dir, 'cifar-10-batches-bin')}, ${dir}, `), 'searched lists the dataDir layouts');
      assert.ok(!/download failed/.test(e.message));
      return true;
    };
    assert.throws(() => loadCifar10({ dataDir: dir }), notFound);
    process.env.DEEPTEN_OFFLINE = '1';
    await assert.rejects(ensureDataset('cifar10', { dataDir: dir }), notFound);
  });
});

test('fuzz: 300 garbled, truncated or padded batch files either load consistently or throw a clean error naming the file', async () => {
  await isolated((root) => {
    const dir = join(root, 'fz');
    writeDataset(dir);
    const path = join(dir, 'test_batch.bin');
    const base = records(0, 3, testLabel);
    const g = new Generator(11);
    let threw = 0;
    for (let k = 0; k < 300; k++) {
      let b: Uint8Array;
      switch (k % 4) {
        case 0: b = base.subarray(0, g.randint(0, base.length)); break; // truncated
        case 1: b = Uint8Array.from({ length: base.length + g.randint(1, 4000) }, (_, i) => i < base.length ? base[i] : g.randint(0, 256)); break; // padded
        case 2: { // label bytes garbled: valid below 10, invalid otherwise
          b = base.slice();
          for (let r = 0; r < 3; r++) if (g.random() < 0.3) b[r * RECORD] = g.randint(0, 256);
          break;
        }
        default: { // whole records of noise (always a valid size: any byte is a pixel)
          b = Uint8Array.from({ length: RECORD * g.randint(1, 4) }, () => g.randint(0, 256));
        }
      }
      writeFileSync(path, b);
      try {
        const d = loadCifar10({ dataDir: dir, split: 'test' });
        assert.equal(d.n * RECORD, b.length);
        for (let r = 0; r < d.n; r++) assert.equal(d.labels[r], b[r * RECORD]);
        assert.ok(d.labels.every((l) => l >= 0 && l < 10));
        assert.ok(d.images.every((v) => v >= 0 && v <= 1));
      } catch (e) {
        threw++;
        assert.equal((e as Error).constructor, Error, (e as Error).stack);
        assert.ok((e as Error).message.startsWith(`cifar10: ${path}: `), (e as Error).message);
      }
    }
    assert.ok(threw > 50 && threw < 300, `${threw} of 300 threw: the fuzz reaches both outcomes`);
  });
});

/** The official tarball's layout, built from the synthetic dataset. */
function tarball(mutate: (entries: TarWriteEntry[]) => TarWriteEntry[] = (e) => e): Uint8Array {
  const entries: TarWriteEntry[] = [{ path: 'cifar-10-batches-bin/', type: '5' }];
  for (const [f, data] of Object.entries(dataset(META))) entries.push({ path: `cifar-10-batches-bin/${f}`, data });
  entries.push({ path: 'cifar-10-batches-bin/readme.html', data: '<html></html>\n' });
  return gzipSync(packTar(mutate(entries)));
}

async function withMirror(body: Uint8Array | null, fn: (url: string, root: string, hits: () => number) => Promise<void>): Promise<void> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url !== '/cifar-10-binary.tar.gz' || body === null) { res.statusCode = 404; res.end('missing'); return; }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    await isolated(async (root) => {
      process.env.DEEPTEN_MIRROR = url;
      await fn(url, root, () => hits);
    });
  } finally { server.close(); }
}

test('ensureDataset(cifar10) downloads the tarball from the mirror, unpacks it into the data root, then finds it', async () => {
  await withMirror(tarball(), async (_url, root, hits) => {
    const dir = await ensureDataset('cifar10', { timeoutMs: 5000 });
    assert.equal(dir, join(root, 'data', 'cifar10', 'cifar-10-batches-bin'));
    assert.deepEqual(readdirSync(join(root, 'data', 'cifar10')), ['cifar-10-batches-bin'], 'the archive itself is not kept');
    assert.deepEqual(readdirSync(dir).sort(), [...ALL, 'batches.meta.txt', 'readme.html'].sort());
    const te = loadCifar10({ split: 'test' });
    assert.deepEqual([...te.labels], [9, 8, 7]);
    assert.equal(te.classNames[1], 'car');
    assert.equal(loadCifar10().n, 7);
    assert.equal(hits(), 1);
    assert.equal(await ensureDataset('cifar10'), dir, 'second call finds it without downloading');
    assert.equal(hits(), 1);
  });
});

test('ensureDataset(cifar10): a 404, a hostile archive or an incomplete one fail cleanly, writing nothing unsafe', async () => {
  const failed = (re: RegExp) => (e: Error) => {
    assert.match(e.message, /dataset 'cifar10' not found locally/);
    assert.match(e.message, URL_RE);
    assert.match(e.message, re);
    return true;
  };
  await withMirror(null, async (url) => {
    await assert.rejects(ensureDataset('cifar10', { timeoutMs: 5000 }), failed(new RegExp(`download failed: ${url}/cifar-10-binary\\.tar\\.gz: HTTP 404`)));
  });
  const hostile = tarball((e) => [...e, { path: '../../escaped.txt', data: 'x' }, { path: 'cifar-10-batches-bin/link', type: '2', linkname: '/etc/passwd' }]);
  await withMirror(hostile, async (url, root) => {
    await assert.rejects(ensureDataset('cifar10', { timeoutMs: 5000 }),
      failed(new RegExp(`download failed: readTar: ${url}/cifar-10-binary\\.tar\\.gz: header at offset \\d+: '\\.\\./\\.\\./escaped\\.txt' contains a '\\.\\.' component; refused`)));
    assert.deepEqual(readdirSync(join(root, 'data', 'cifar10')), [], 'a refused archive writes nothing');
    assert.ok(!existsSync(join(root, 'escaped.txt')) && !existsSync(resolve(root, '..', 'escaped.txt')));
  });
  const incomplete = tarball((e) => e.filter((x) => !x.path.endsWith('test_batch.bin')));
  await withMirror(incomplete, async (url) => {
    await assert.rejects(ensureDataset('cifar10', { timeoutMs: 5000 }), failed(new RegExp(`download failed: ${url}/cifar-10-binary\\.tar\\.gz: the archive has no test_batch\\.bin`)));
  });
  await withMirror(gzipSync(new Uint8Array(2048).fill(7)), async () => {
    await assert.rejects(ensureDataset('cifar10', { timeoutMs: 5000 }), failed(/download failed: readTar: .*: header at offset 0: no ustar magic/));
  });
  await withMirror(tarball(), async (_url, _root, hits) => {
    process.env.DEEPTEN_OFFLINE = '1';
    await assert.rejects(ensureDataset('cifar10'), failed(/expected files: data_batch_1\.bin/));
    assert.equal(hits(), 0, 'offline mode never fetches');
  });
});

test('ImageDataset.channels: 1 for MNIST, 3 for CIFAR-10; the standard CIFAR-10 per-channel statistics', () => {
  assert.equal(loadMnist({ dataDir: join(here, 'fixtures', 'io', 'mnist') }).channels, 1);
  assert.deepEqual([...CIFAR10_MEAN], [0.4914, 0.4822, 0.4465]);
  assert.deepEqual([...CIFAR10_STD], [0.2470, 0.2435, 0.2616]);
  assert.equal(CIFAR10_CLASSES.length, 10);
});
