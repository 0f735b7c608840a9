// transformer-warmup --quick through the CLI (skipped without Multi30k): four variants trained, the table, the
// results and the loss-curve plot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = process.env.DEEPTEN_DATA ?? resolve(repoRoot, '../shared/data');
const skip = existsSync(join(dataDir, 'multi30k', 'tok', 'train.lc.norm.tok.de')) ? false : `no Multi30k under ${dataDir}`;

test('deepten experiment transformer-warmup --quick: four variants, table, results and plot', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepten-warmup-'));
  try {
    const r = spawnSync(process.execPath, ['bin/deepten.mjs', 'experiment', 'transformer-warmup', '--quick', '--data-dir', dataDir, '--out', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    assert.deepEqual(res.results.map((x: { variant: string }) => x.variant),
      ['post-norm, no warm-up', 'post-norm, warm-up', 'pre-norm, no warm-up', 'pre-norm, warm-up']);
    for (const x of res.results) {
      assert.equal(x.steps, 8);
      assert.ok(Number.isFinite(x.validLoss) && x.error === null, JSON.stringify(x));
    }
    // the warm-up variants started at lr/warmup: their configs say so
    const cfg = JSON.parse(readFileSync(join(dir, 'post-norm-warm-up', 'config.json'), 'utf8'));
    assert.equal(cfg.warmupSteps, 4);
    assert.equal(cfg.model.normFirst, false);
    assert.ok(existsSync(join(dir, 'transformer-warmup.png')));
    assert.match(r.stdout, /pre-norm, no warm-up/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
