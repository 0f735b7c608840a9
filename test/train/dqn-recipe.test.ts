// The dqn recipe end to end on a tiny budget: run directory files, per-seed checkpoints that restore the exact
// agent, seed-level --resume, `eval`, `play` (ASCII, GIF, PNG, --no-render) and clear errors on bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { trainDqnRecipe, evalDqnRecipe, loadDqnCheckpoint, checkpointName } from '../../src/train/recipes/dqn.ts';
import { recipes } from '../../src/train/recipes/index.ts';
import { play } from '../../src/cli/play.ts';
import { UsageError } from '../../src/util/flags.ts';
import { evaluate } from '../../src/rl/dqn.ts';
import { CartPole } from '../../src/rl/index.ts';
import { saveCheckpoint } from '../../src/train/checkpoint.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { MLP } from '../../src/models/mlp.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-dqn-'));
// a small net trained every step: a few thousand CartPole steps take well under a second
const tiny: Record<string, string> = {
  hidden: '32/32', trainFreq: '1', gradientSteps: '1', learningStarts: '500', batchSize: '32', bufferSize: '5000',
  targetUpdateInterval: '100', evalInterval: '500', evalEpisodes: '5', solveEpisodes: '10', solveThreshold: '60',
};

function capture(isTTY = false) {
  let text = '';
  return { out: { isTTY, write: (s: string) => { text += s; return true; } }, text: () => text };
}

const readLines = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('dqn recipe: a tiny two-seed run writes its run directory, solves, and resumes seed by seed', async () => {
  const dir = tmp();
  try {
    const s = await trainDqnRecipe({ out: dir, seed: 0, maxSteps: 3000, set: { ...tiny, seeds: '2' } });
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', checkpointName(0), checkpointName(1)]) assert.ok(existsSync(join(dir, f)), f);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    assert.equal(summary.model, 'dqn');
    assert.equal(summary.dataset, 'CartPole-v1');
    assert.equal(summary.metric, 'steps_to_solve');
    assert.equal(summary.seeds, 2);
    assert.equal(summary.stepsToSolve.length, 2);
    assert.equal(summary.secondsPerSeed.length, 2);
    // the threshold is low enough that both seeds solve, and a solved seed stops early
    assert.equal(summary.solved, 2, `stepsToSolve ${JSON.stringify(summary.stepsToSolve)}, returns ${JSON.stringify(summary.finalMeanReturn)}`);
    for (const r of summary.perSeed) {
      assert.ok(r.stepsToSolve > 500 && r.stepsToSolve < 3000 && r.steps === r.stepsToSolve, JSON.stringify(r));
      assert.ok(r.finalMeanReturn >= 60, 'the solving evaluation passed the threshold');
    }
    assert.equal(summary.value, (summary.stepsToSolve[0] + summary.stepsToSolve[1]) / 2);
    assert.equal(s.value, summary.value);

    const lines = readLines(join(dir, 'metrics.jsonl'));
    for (const seed of [0, 1]) {
      const mine = lines.filter((l) => l.seed === seed);
      assert.ok(mine.some((l) => 'episodeReturn' in l && 'eps' in l), `seed ${seed}: episode lines`);
      assert.ok(mine.some((l) => Number.isFinite(l.loss) && 'eps' in l), `seed ${seed}: loss lines`);
      assert.ok(mine.some((l) => 'evalReturn' in l), `seed ${seed}: evaluation lines`);
      assert.ok(mine.some((l) => l.solveCheckReturn >= 60), `seed ${seed}: the solve check`);
    }

    // the checkpoint holds the exact agent: its greedy returns on the solving evaluation's episodes match
    const solveSeed = 2_000_000; // trainDqn's seed for the solveEpisodes evaluation
    const ev = await evalDqnRecipe({ checkpoint: join(dir, checkpointName(1)), episodes: 10, seed: solveSeed });
    assert.equal(ev.mean_return, summary.finalMeanReturn[1]);
    const loaded = loadDqnCheckpoint(dir); // a run directory means its first seed
    assert.equal(loaded.file, join(dir, checkpointName(0)));
    assert.equal(loaded.agent.envSteps, summary.stepsToSolve[0]);
    assert.deepEqual(loaded.agent.target.stateDict().get('layers.0.weight')!.shape, [32, 4]);

    // a signal during seed 1 stops it; --resume reruns only seed 1, identically, and its metrics are not duplicated
    const dir2 = tmp();
    try {
      const watch = setInterval(() => { if (existsSync(join(dir2, checkpointName(0)))) { clearInterval(watch); process.emit('SIGINT', 'SIGINT'); } }, 20);
      const stopped = await trainDqnRecipe({ out: dir2, seed: 0, maxSteps: 3000, set: { ...tiny, seeds: '2' } });
      clearInterval(watch);
      assert.equal(stopped.interrupted, true);
      assert.deepEqual(stopped.stepsToSolve, [summary.stepsToSolve[0]]);
      const again = await trainDqnRecipe({ resume: dir2 });
      assert.deepEqual(again.stepsToSolve, summary.stepsToSolve);
      assert.deepEqual(again.finalMeanReturn, summary.finalMeanReturn);
      assert.equal((again.secondsPerSeed as number[])[0], (stopped.secondsPerSeed as number[])[0], 'seed 0 was not rerun');
      const lines2 = readLines(join(dir2, 'metrics.jsonl'));
      assert.deepEqual(lines2.filter((l) => l.seed === 1 && !('diverged' in l)).map((l) => JSON.stringify(l)).length, lines.filter((l) => l.seed === 1).length);
    } finally { rmSync(dir2, { recursive: true, force: true }); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('dqn eval and play: returns, ASCII frames, GIF and PNG files, --no-render', async () => {
  const dir = tmp();
  try {
    await trainDqnRecipe({ out: dir, seed: 3, maxSteps: 1500, set: { ...tiny, seeds: '1', stopWhenSolved: 'false' } });
    const ckpt = join(dir, checkpointName(3));
    const ev = await recipes.dqn.evaluate({ checkpoint: ckpt });
    assert.equal(ev.episodes, 100);
    assert.ok(ev.min_return <= ev.mean_return && ev.mean_return <= ev.max_return && ev.std_return >= 0, JSON.stringify(ev));
    const { agent } = loadDqnCheckpoint(ckpt);
    const direct = evaluate(agent, new CartPole(), 2, 5);

    const gif = join(dir, 'ep.gif'), png = join(dir, 'ep.png');
    const c = capture();
    assert.equal(await play(['dqn', '--checkpoint', ckpt, '--seed', '5', '--episodes', '2', '--every', '10', '--gif', gif, '--png', png], c.out), 0);
    const text = c.text();
    assert.match(text, new RegExp(`episode 1: return ${direct.returns[0]}, ${direct.lengths[0]} steps`));
    assert.match(text, new RegExp(`episode 2: return ${direct.returns[1]}, ${direct.lengths[1]} steps`));
    // not a terminal: frames every 10th step only, no cursor movement
    assert.equal(text.match(/\[###\]/g)!.length, Math.floor(direct.lengths[0] / 10) + 1 + Math.floor(direct.lengths[1] / 10) + 1);
    assert.ok(!text.includes('\x1b['));
    assert.equal(readFileSync(gif).subarray(0, 6).toString('latin1'), 'GIF89a');
    assert.deepEqual([...readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    const quiet = capture();
    await play(['dqn', '--checkpoint', dir, '--seed', '5', '--episodes', '2', '--no-render'], quiet.out);
    assert.ok(!quiet.text().includes('[###]'));
    assert.match(quiet.text(), new RegExp(`episode 2: return ${direct.returns[1]}`));
    assert.match(quiet.text(), /mean return [\d.]+ ± [\d.]+ over 2 episode\(s\)/);

    // on a terminal each frame redraws in place (cursor home) and the cursor is restored at the end
    const tty = capture(true);
    await play(['dqn', '--checkpoint', ckpt, '--seed', '5', '--fps', '100000'], tty.out);
    assert.equal(tty.text().split('\x1b[H').length - 1, direct.lengths[0] + 1);
    const t = tty.text();
    assert.ok(t.startsWith('\x1b[?25l') && t.lastIndexOf('\x1b[?25h') > t.lastIndexOf('\x1b[H'), 'cursor hidden, then shown again');

    const help = capture();
    assert.equal(await play(['dqn', '--help'], help.out), 0);
    assert.match(help.text(), /usage: deepten play dqn --checkpoint PATH[\s\S]*--gif[\s\S]*--no-render/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('dqn: other tasks use their own defaults; bad input gives clear errors', async () => {
  const dir = tmp();
  try {
    const acro = join(dir, 'acrobot');
    const s = await trainDqnRecipe({ out: acro, dataset: 'Acrobot-v1', maxSteps: 300, set: { hidden: '16', seeds: '1', solveEpisodes: '2', evalInterval: '10000' } });
    assert.equal(s.dataset, 'Acrobot-v1');
    const cfg = JSON.parse(readFileSync(join(acro, 'config.json'), 'utf8'));
    assert.equal(cfg.dataset, 'acrobot');
    assert.equal(cfg.solveThreshold, -100);
    assert.equal(cfg.targetUpdateInterval, 250);
    const acroCkpt = join(acro, checkpointName(0));
    await assert.rejects(play(['dqn', '--checkpoint', acroCkpt, '--gif', join(dir, 'a.gif')], capture().out), (e: Error) => e instanceof UsageError && /--gif and --png draw CartPole only; Acrobot-v1 plays as text/.test(e.message));
    await assert.rejects(evalDqnRecipe({ checkpoint: acroCkpt, dataset: 'cartpole' }), /is an agent for Acrobot-v1, not cartpole/);

    // missing files, another model's checkpoint, a weights-only file
    await assert.rejects(evalDqnRecipe({ checkpoint: join(dir, 'nope.safetensors') }), /dqn: checkpoint .*nope\.safetensors does not exist/);
    const mlpFile = join(dir, 'mlp.safetensors');
    const m = new MLP({ hidden: [8], inputSize: 4, classes: 3 });
    saveCheckpoint(mlpFile, { model: m }, { step: 1, epoch: 0, config: { dataset: 'mnist', model: { hidden: [8] } } });
    await assert.rejects(play(['dqn', '--checkpoint', mlpFile], capture().out), /dqn: .*mlp\.safetensors is not a DQN agent checkpoint \(its training config has dataset 'mnist'; tensors /);
    const plain = join(dir, 'plain.safetensors');
    writeSafetensors(plain, Object.fromEntries(m.stateDict()));
    await assert.rejects(evalDqnRecipe({ checkpoint: plain }), /plain\.safetensors is not a DQN agent checkpoint: it holds weights only/);
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not a safetensors file');
    await assert.rejects(evalDqnRecipe({ checkpoint: junk }), /dqn: cannot read .*junk\.safetensors as a checkpoint: readSafetensors/);
    await assert.rejects(evalDqnRecipe({ checkpoint: dir }), /is a directory without DQN checkpoints/);

    // bad flags and settings
    await assert.rejects(play(['dqn'], capture().out), (e: Error) => e instanceof UsageError && /--checkpoint PATH is required/.test(e.message));
    await assert.rejects(play(['lenet', '--checkpoint', acroCkpt], capture().out), /play: only a dqn agent can be played, got 'lenet'/);
    await assert.rejects(play(['dqn', '--checkpoint', acroCkpt, '--episodes', '0'], capture().out), /--episodes must be a positive integer, got 0/);
    await assert.rejects(play(['dqn', '--checkpoint', acroCkpt, '--fps', '0'], capture().out), /--fps must be positive, got 0/);
    await assert.rejects(trainDqnRecipe({ out: join(dir, 'x'), dataset: 'pong' }), /dqn: unknown environment 'pong'; one of cartpole \(CartPole-v1\), acrobot/);
    await assert.rejects(trainDqnRecipe({ out: join(dir, 'x'), epochs: 3 }), /--epochs: this model's recipe has no 'epochs' setting/);
    await assert.rejects(trainDqnRecipe({ out: join(dir, 'x'), set: { gamma: '2' } }), /DqnConfig: gamma must be in \[0, 1\], got 2/);
    await assert.rejects(trainDqnRecipe({ out: join(dir, 'x'), set: { seeds: '0' } }), /--set seeds=0: seeds must be a positive integer, got 0/);
    assert.ok(!existsSync(join(dir, 'x')), 'a bad config creates no run directory');

    // through the CLI: one line on stderr, no stack, exit code 1
    const r = spawnSync(process.execPath, ['bin/deepten.mjs', 'play', 'dqn', '--checkpoint', mlpFile], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^deepten: dqn: .*mlp\.safetensors is not a DQN agent checkpoint/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
