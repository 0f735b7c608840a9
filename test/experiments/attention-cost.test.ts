// attention-cost --quick through the CLI: the table, results.json with a fitted exponent, the plot; and the fit itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fitExponent } from '../../src/experiments/attention-cost.ts';

test('fitExponent recovers the power of a power law', () => {
  const x = [64, 128, 256, 512];
  assert.ok(Math.abs(fitExponent(x, x.map((v) => 3 * v ** 2)) - 2) < 1e-12);
  assert.ok(Math.abs(fitExponent(x, x.map((v) => 0.5 * v ** 1.3)) - 1.3) < 1e-12);
});

test('deepten experiment attention-cost --quick writes its table, results and plot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepten-attn-'));
  try {
    const r = spawnSync(process.execPath, ['bin/deepten.mjs', 'experiment', 'attention-cost', '--quick', '--lengths', '32,64,128', '--reps', '1', '--out', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /fitted exponent \(time ∝ L\^k\): k = /);
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    assert.deepEqual(res.rows.map((x: { L: number }) => x.L), [32, 64, 128]);
    // the weights alone grow exactly as L², and what the forward keeps holds at least them
    for (const row of res.rows) assert.ok(row.keptMB >= row.weightsMB, `L ${row.L}: kept ${row.keptMB} MB < weights ${row.weightsMB} MB`);
    assert.ok(Number.isFinite(res.timeExponentAll));
    assert.ok(existsSync(join(dir, 'attention-cost.png')) && existsSync(join(dir, 'table.txt')));
    const bad = spawnSync(process.execPath, ['bin/deepten.mjs', 'experiment', 'attention-cost', '--lengths', '0,64', '--out', dir], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--lengths must be a positive integer, got 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
