// The last step of the data lookup order: downloading a missing dataset into the cache, from a loopback mirror.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDataset } from '../../src/data/download.ts';
import { loadPtb } from '../../src/data/text.ts';

const files: Record<string, string> = {
  '/ptb.train.txt': ' the cat sat \n the <unk> sat \n',
  '/ptb.valid.txt': ' the cat \n',
  '/ptb.test.txt': ' the dog \n',
};

async function withMirror(fn: (url: string, root: string) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (body === undefined) { res.statusCode = 404; res.end('missing'); return; }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const root = mkdtempSync(join(tmpdir(), 'deepten-dl-'));
  const saved = { ...process.env };
  process.env.DEEPTEN_DATA = root;
  process.env.DEEPTEN_MIRROR = `http://127.0.0.1:${port}`;
  delete process.env.DEEPTEN_OFFLINE;
  try { await fn(`http://127.0.0.1:${port}`, root); } finally {
    for (const k of ['DEEPTEN_DATA', 'DEEPTEN_MIRROR', 'DEEPTEN_OFFLINE']) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

test('a missing dataset is downloaded into the data root, then found by the ordinary lookup', async () => {
  await withMirror(async (_url, root) => {
    const dir = await ensureDataset('ptb', { timeoutMs: 5000 });
    assert.equal(dir, join(root, 'ptb'));
    assert.equal(readFileSync(join(root, 'ptb', 'ptb.train.txt'), 'utf8'), files['/ptb.train.txt']);
    const ptb = loadPtb();
    assert.ok(ptb.vocab.size >= 5);
    assert.equal(await ensureDataset('ptb'), dir, 'second call finds it without downloading');
  });
});

test('a failed download names the URL and keeps the what-to-fetch message; offline mode never fetches', async () => {
  await withMirror(async (url, root) => {
    delete files['/ptb.test.txt'];
    try {
      await assert.rejects(ensureDataset('ptb', { timeoutMs: 5000 }), (e: Error) => {
        assert.match(e.message, /dataset 'ptb' not found locally/);
        assert.match(e.message, new RegExp(`download failed: ${url}/ptb\\.test\\.txt: HTTP 404`));
        return true;
      });
      assert.ok(!existsSync(join(root, 'ptb', 'ptb.test.txt')));
      process.env.DEEPTEN_OFFLINE = '1';
      await assert.rejects(ensureDataset('ptb'), (e: Error) => !/download failed/.test(e.message) && /expected files: ptb\.train\.txt/.test(e.message));
    } finally { files['/ptb.test.txt'] = ' the dog \n'; }
  });
});
