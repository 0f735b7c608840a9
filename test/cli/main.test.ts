// The CLI refuses a mistyped command line with exit status 2 and one line on stderr, before it writes anything.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { play } from '../../src/cli/play.ts';
import { UsageError } from '../../src/util/flags.ts';

/** Runs main(argv) with stderr captured. */
async function cli(argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try { return { code: await main(argv), err }; } finally { process.stderr.write = write; }
}

describe('deepten command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepten-cli-'));
  const out = join(dir, 'run');
  test('extra positionals, single-dash and repeated options are usage errors, and no run directory appears', async () => {
    const cases: [string[], RegExp][] = [
      [['train', 'mlp', 'lenet', '--out', out], /^deepten: train: unexpected argument 'lenet' \(train takes <model>/],
      [['train', 'mlp', '-epochs', '1', '--out', out], /^deepten: train: options take two dashes: '-epochs'; did you mean --epochs\?\n$/],
      [['train', 'mlp', '--epochs', '1', '--epochs', '2', '--out', out], /--epochs is given twice/],
      [['train', 'mlp', '--set', 'lr=0.1', '--set', 'lr=0.2', '--out', out], /--set sets 'lr' twice/],
      [['eval', 'mlp', 'x', '--checkpoint', out], /^deepten: eval: unexpected argument 'x'/],
      [['list', 'all'], /^deepten: list: unexpected argument 'all' \(list takes no arguments/],
      [['info', '-backend', 'js'], /did you mean --backend\?/],
    ];
    for (const [argv, re] of cases) {
      const r = await cli(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, re, argv.join(' '));
      assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
      assert.ok(!existsSync(out), `${argv.join(' ')} left ${out}`);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  test('play takes one positional, the agent', async () => {
    const sink = { write: () => true };
    await assert.rejects(play(['dqn', 'cartpole', '--checkpoint', 'x'], sink), (e: Error) => e instanceof UsageError && /^play: unexpected argument 'cartpole' \(play takes <agent>/.test(e.message));
  });
});
