// The article's experiments, each run through the CLI with --quick (tiny subsets, a few steps): the printed table,
// table.txt, results.json and the PNG plot must be produced and well-formed; the vanishing-gradient claim is checked
// for real (it shows at initialisation, so even the quick run must show it); bad flags give usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { experiments } from '../../src/experiments/index.ts';
import { parseArgs, formatFlags } from '../../src/util/flags.ts';
import { crc32 } from '../../src/viz/png.ts';
import { SERIES_COLORS } from '../../src/viz/plot.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-exp-'));

/** Runs the CLI in a child process (the test runner itself reports on this process's stdout). */
function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/deepten.mjs', ...args], { encoding: 'utf8', env: { ...process.env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Checks the PNG's structure (signature, chunk CRCs, IHDR, inflated size) and returns its RGB pixels. */
function readPng(path: string): { width: number; height: number; rgb: Uint8Array } {
  const bytes = readFileSync(path);
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: { type: string; data: Uint8Array }[] = [];
  for (let off = 8; off < bytes.length;) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    assert.equal(view.getUint32(off + 8 + len), crc32(bytes.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    chunks.push({ type, data: bytes.subarray(off + 8, off + 8 + len) });
    off += 12 + len;
  }
  assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  const ih = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
  const width = ih.getUint32(0), height = ih.getUint32(4);
  assert.equal(chunks[0].data[8], 8, 'bit depth');
  assert.equal(chunks[0].data[9], 2, 'RGB');
  const raw = inflateSync(chunks[1].data);
  assert.equal(raw.length, height * (1 + 3 * width));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) rgb.set(raw.subarray(y * (1 + 3 * width) + 1, (y + 1) * (1 + 3 * width)), y * width * 3);
  return { width, height, rgb };
}

/** How many pixels have exactly this colour. */
function countColor(png: { rgb: Uint8Array }, [r, g, b]: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < png.rgb.length; i += 3) if (png.rgb[i] === r && png.rgb[i + 1] === g && png.rgb[i + 2] === b) n++;
  return n;
}

/** Runs `deepten experiment <name> --quick`, checks the common outputs, returns results.json and the table. */
async function runQuick(name: string, seriesCount: number, extra: string[] = []): Promise<{ results: any; table: string; dir: string }> {
  const dir = tmp();
  const r = cli(['experiment', name, '--quick', '--out', dir, '--seed', '3', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const table = readFileSync(join(dir, 'table.txt'), 'utf8');
  assert.equal(r.stdout, table, 'the printed table is the one saved');
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  assert.equal(results.experiment, name);
  assert.equal(results.quick, true);
  assert.equal(results.seed, 3);
  assert.ok(['js', 'native'].includes(results.backend));
  const png = readPng(join(dir, `${name}.png`));
  assert.equal(results.plot, join(dir, `${name}.png`));
  assert.ok(png.width >= 600 && png.height >= 300, `${png.width}×${png.height}`);
  // every series was drawn: its colour covers more pixels than its legend box (8×7) alone
  for (let k = 0; k < seriesCount; k++) assert.ok(countColor(png, SERIES_COLORS[k]) > 2 * 56, `series ${k} is drawn`);
  return { results, table, dir };
}

test('vanishing-gradients --quick: per-layer norms, the sigmoid net\'s first/last ratio far below ReLU+He\'s', async () => {
  const { results, table, dir } = await runQuick('vanishing-gradients', 3);
  try {
    assert.deepEqual(results.variants.map((v: any) => v.name), ['sigmoid+xavier', 'relu+he', 'relu+he+bn']);
    for (const v of results.variants) {
      for (const norms of [v.gradNormsInit, v.gradNormsTrained]) {
        assert.equal(norms.length, 10);
        for (const g of norms) assert.ok(Number.isFinite(g) && g > 0, `${v.name}: ${g}`);
      }
      assert.ok(Math.abs(v.ratioInit - v.gradNormsInit[0] / v.gradNormsInit[9]) < 1e-12 * v.ratioInit);
      assert.ok(Number.isFinite(v.trainLoss) && v.trainAccuracy >= 0 && v.trainAccuracy <= 1 && v.testAccuracy >= 0 && v.testAccuracy <= 1);
    }
    const [sig, relu, bn] = results.variants;
    // the claim: at least three orders of magnitude between the sigmoid's and ReLU+He's first/last ratios,
    // the sigmoid's first layer ≥ 100× below its last, ReLU+He's within 20× either way
    assert.ok(sig.ratioInit < 1e-3 * relu.ratioInit, `sigmoid ${sig.ratioInit} vs relu+he ${relu.ratioInit}`);
    assert.ok(sig.ratioInit < 1e-2, `sigmoid ratio ${sig.ratioInit}`);
    assert.ok(relu.ratioInit > 1 / 20 && relu.ratioInit < 20, `relu+he ratio ${relu.ratioInit}`);
    assert.ok(bn.ratioInit > 1 / 20 && bn.ratioInit < 20, `relu+he+bn ratio ${bn.ratioInit}`);
    // the sigmoid's norms fall monotonically from the output back to the first layers… up to the 784-wide first layer
    for (let l = 1; l < 9; l++) assert.ok(sig.gradNormsInit[l] < sig.gradNormsInit[l + 1], `sigmoid layer ${l + 1} < layer ${l + 2}`);
    assert.equal(results.claim.held, true);
    assert.match(table, /^10 \(out\)/m);
    assert.match(table, /claim held/);
    for (let l = 1; l <= 9; l++) assert.match(table, new RegExp(`^${l} +\\d`, 'm'));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('resnet-degradation --quick: four nets, per-epoch train/test error, an honest verdict', async () => {
  const { results, table, dir } = await runQuick('resnet-degradation', 4);
  try {
    assert.deepEqual(results.nets.map((n: any) => n.name), ['plain-8', 'plain-14', 'resnet-8', 'resnet-14']);
    assert.deepEqual(results.config.depths, [8, 14]);
    for (const n of results.nets) {
      assert.equal(n.trainError.length, 2);
      assert.equal(n.testError.length, 2);
      for (const e of [...n.trainError, ...n.testError]) assert.ok(e >= 0 && e <= 1, `${n.name}: ${e}`);
      assert.ok(n.seconds > 0);
    }
    const p = Object.fromEntries(results.nets.map((n: any) => [n.name, n.parameters]));
    assert.equal(p['plain-8'], p['resnet-8'], 'option-A shortcuts have no parameters');
    assert.ok(p['plain-14'] > p['plain-8']);
    const c = results.claim;
    assert.equal(typeof c.held, 'boolean');
    assert.equal(c.held, c.degraded && c.resnetNotWorse);
    const final = (name: string) => results.nets.find((n: any) => n.name === name).trainError[1];
    assert.ok(Math.abs(c.plainGap - (final('plain-14') - final('plain-8'))) < 1e-12);
    assert.ok(table.includes(c.text));
    assert.match(table, /^2 +\d+\.\d\d%/m, 'a row for epoch 2');
    // the sub-runs are ordinary run folders
    for (const n of results.nets) JSON.parse(readFileSync(join(dir, 'runs', n.name, 'summary.json'), 'utf8'));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('params-vs-accuracy --quick: parameter counts, accuracy per epoch, time and throughput', async () => {
  const { results, table, dir } = await runQuick('params-vs-accuracy', 3);
  try {
    assert.deepEqual(results.models.map((m: any) => m.recipe), ['mlp', 'lenet', 'resnet']);
    const [mlp, lenet, resnet] = results.models;
    assert.equal(mlp.parameters, 784 * 128 + 128 + 128 * 10 + 10);
    assert.equal(lenet.parameters, 61706);
    assert.ok(resnet.parameters > 0);
    for (const m of results.models) {
      assert.equal(m.testAccuracy.length, 2);
      assert.equal(m.finalAccuracy, m.testAccuracy[1]);
      for (const a of m.testAccuracy) assert.ok(a >= 0 && a <= 1);
      assert.ok(m.seconds > 0 && m.trainExamplesPerSec > 0 && m.testExamplesPerSec > 0);
      assert.ok(m.loss.length > 0 && m.loss.length === m.lossSteps.length);
      assert.ok(table.includes(m.name) && table.includes(m.parameters.toLocaleString('en-US')));
    }
    assert.deepEqual([...results.ranking].sort(), results.models.map((m: any) => m.name).sort());
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

const dataDir = process.env.DEEPTEN_DATA ?? join(fileURLToPath(new URL('../..', import.meta.url)), '../shared/data');
const hasText = existsSync(join(dataDir, 'english_corpus')) && existsSync(join(dataDir, 'word2vec'));

test('word2vec-window --quick: three windows, semantic and syntactic accuracy, a run folder each', { skip: hasText ? false : 'no english_corpus / word2vec data' }, async () => {
  // the quick run's accuracies are near 0, so the three lines may overlap: only the plot's structure is checked
  const { results, table, dir } = await runQuick('word2vec-window', 0, ['--data-dir', dataDir]);
  try {
    assert.deepEqual(results.results.map((r: any) => r.window), [2, 5, 10]);
    for (const r of results.results) {
      for (const k of ['semantic', 'syntactic', 'total']) assert.ok(r[k] >= 0 && r[k] <= 1, `${k} ${r[k]}`);
      assert.ok(r.answerable > 50 && r.wordsPerSecond > 0);
      const s = JSON.parse(readFileSync(join(dir, `window-${r.window}`, 'summary.json'), 'utf8'));
      assert.equal(s.value, r.total);
      assert.equal(JSON.parse(readFileSync(join(dir, `window-${r.window}`, 'config.json'), 'utf8')).window, r.window);
    }
    assert.match(table, /^10 +\d+\.\d\d% +\d+\.\d\d%/m);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('word2vec-map --quick: three PCA panels of analogy pairs and the offsets\' agreement', { skip: hasText ? false : 'no english_corpus / word2vec data' }, async () => {
  const { results, table, dir } = await runQuick('word2vec-map', 1, ['--data-dir', dataDir]);
  try {
    assert.deepEqual(results.results.map((r: any) => r.panel), ['country -> capital', 'male -> female', 'adjective -> comparative']);
    for (const r of results.results) {
      assert.ok(r.pairs.length >= 2 && r.pairs.length <= 6, `${r.panel}: ${r.pairs.length} pairs`);
      assert.ok(Math.abs(r.offsetCosine) <= 1 && Math.abs(r.randomPairsCosine) <= 1);
    }
    assert.deepEqual(results.results[1].pairs[0].length, 2);
    assert.match(table, /male -> female +\d /);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the experiments are registered; bad flags are usage errors before any training', async () => {
  assert.deepEqual(Object.keys(experiments).sort(), ['attention-cost', 'gcn-scaling', 'lstm-init', 'lstm-vs-rnn', 'params-vs-accuracy', 'resnet-degradation', 'transformer-warmup', 'vanishing-gradients', 'word2vec-map', 'word2vec-window']);
  for (const e of Object.values(experiments)) {
    const help = formatFlags(e.flags);
    for (const f of ['--out', '--quick', '--data-dir', '--seed']) assert.ok(help.includes(f), f);
  }
  const dir = tmp();
  try {
    const cases: [string, string[], RegExp][] = [
      ['resnet-degradation', ['--depths', '9,20'], /--depths expects two depths of the form 6n\+2/],
      ['resnet-degradation', ['--depths', '20,8'], /the second depth must be the deeper/],
      ['resnet-degradation', ['--widths', '4,8'], /--widths expects three positive integers/],
      ['vanishing-gradients', ['--sigmoid-init', 'he'], /--sigmoid-init must be xavier or default/],
      ['vanishing-gradients', ['--layers', '1'], /--layers must be at least 2/],
      ['params-vs-accuracy', ['--epochs', '0'], /--epochs must be a positive integer/],
      ['lstm-vs-rnn', ['--lengths', '1,20'], /--lengths: each length must be an integer ≥ 2, got 1/],
      ['lstm-vs-rnn', ['--lengths', 'ten'], /--lengths expects numbers separated by commas/],
      ['lstm-vs-rnn', ['--hidden', '0'], /--hidden must be a positive integer, got 0/],
      ['lstm-init', ['--length', '1.5'], /--length must be an integer ≥ 2, got 1.5/],
      ['lstm-init', ['--lr', '-1'], /--lr must be > 0, got -1/],
      ['params-vs-accuracy', ['--train-size', '8', '--batch-size', '16'], /8 training examples make no batch of 16/],
      ['word2vec-window', ['--windows', '2,0'], /--windows must be a positive integer, got 0/],
      ['word2vec-window', ['--config', 'glove'], /--config must be skipgram or cbow/],
      ['word2vec-map', ['--pairs', '0'], /--pairs must be a positive integer/],
    ];
    for (const [name, argv, re] of cases) {
      const e = experiments[name];
      const { flags } = parseArgs([...argv, '--out', dir], e.flags);
      await assert.rejects(e.run(flags), re, `${name} ${argv.join(' ')}`);
    }
    assert.throws(() => parseArgs(['--epochs', 'two'], experiments['params-vs-accuracy'].flags), /--epochs must be a number/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('lstm-vs-rnn --quick: three cells at one parameter budget per length, MSE curves, ‖∂L/∂h_t‖ at init', async () => {
  const { results, table, dir } = await runQuick('lstm-vs-rnn', 3);
  try {
    assert.deepEqual(results.config.lengths, [10, 20]);
    assert.equal(results.runs.length, 6);
    const params = results.runs.filter((r: any) => r.T === 10).map((r: any) => r.parameters);
    // one budget: every cell as near the LSTM's parameter count as a whole hidden size allows (10% at --quick's 8 units)
    for (const p of params) assert.ok(Math.abs(p - params[0]) / params[0] < 0.1, `parameters ${params}`);
    for (const r of results.runs) {
      assert.equal(r.curve[0].step, 0);
      assert.equal(r.curve.at(-1).step, 40);
      assert.ok(r.curve.every((p: any) => Number.isFinite(p.mse) && p.mse > 0));
      assert.equal(r.finalMse, r.curve.at(-1).mse);
    }
    // the vanishing gradient at initialisation: the gradient reaching t = 1 is a smaller share of the last step's
    // for the tanh RNN than for the LSTM (whose forget gate starts at σ(1))
    const g = results.gradNormsAtInit;
    assert.equal(g.T, 20);
    for (const c of ['lstm', 'gru', 'rnn']) assert.equal(g[c].length, 20);
    assert.ok(g.rnn[0] / g.rnn[19] < g.lstm[0] / g.lstm[19], `first/last: rnn ${g.rnn[0] / g.rnn[19]}, lstm ${g.lstm[0] / g.lstm[19]}`);
    assert.match(table, /claim not tested: no sequence length ≥ 100/);
    assert.equal(results.claim.held, false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('lstm-init --quick: four initialisations of one LSTM, their curves and gradient ratios', async () => {
  const { results, table, dir } = await runQuick('lstm-init', 4);
  try {
    assert.deepEqual(results.variants.map((v: any) => [v.forgetBias, v.initScale]), [[1, 0.1], [1, 1], [0, 0.1], [0, 1]]);
    for (const v of results.variants) {
      assert.equal(v.gradNormsAtInit.length, 20);
      assert.ok(v.gradRatio > 0 && Number.isFinite(v.finalMse));
    }
    // at the same small weights, forget bias 1 lets more gradient reach t = 1 than bias 0
    assert.ok(results.variants[0].gradRatio > results.variants[2].gradRatio);
    assert.match(table, /forget bias 0, U\(±0\.1\)/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
