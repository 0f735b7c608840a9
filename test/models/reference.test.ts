// One reference-logits test per model (as minGPT checks its GPT against Hugging Face's): PyTorch's weights for the
// same architecture (test/fixtures/gen_models.py) are loaded through loadStateDict, and deepten's logits for a fixed
// input must match PyTorch's, in eval mode, on the backend this process runs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { noGrad, type Tensor } from '../../src/index.ts';
import type { Module } from '../../src/nn/module.ts';
import { MLP } from '../../src/models/mlp.ts';
import { LeNet5 } from '../../src/models/lenet.ts';
import { ResNet } from '../../src/models/resnet.ts';
import { GCN, GAE, normalizedAdjacency } from '../../src/models/gcn.ts';
import { QNetwork } from '../../src/models/dqn.ts';
import { CsrMatrix } from '../../src/ops/sparse.ts';
import { loadWeights } from '../../src/train/checkpoint.ts';
import { decode, assertClose, type Encoded } from '../helpers.ts';

interface Case {
  name: string;
  config: Record<string, any>;
  inputs: Record<string, Encoded>;
  logits: Encoded;
  decoded?: Encoded;
  graph?: { numNodes: number; row: number[]; col: number[] };
}

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const cases: Case[] = JSON.parse(readFileSync(`${fixtures}models.json`, 'utf8')).cases;
const byName = (name: string) => {
  const c = cases.find((k) => k.name === name);
  assert.ok(c, `test/fixtures/models.json has no case '${name}'; rerun test/fixtures/gen_models.py`);
  return c;
};

/** The model with PyTorch's weights, strictly loaded (every name and shape must match), in eval mode. */
function load<M extends Module>(c: Case, model: M): M {
  model.loadStateDict(loadWeights(`${fixtures}models/${c.name}.safetensors`));
  model.eval();
  return model;
}

/** The features as a dense tensor and as the sparse matrix the recipes pass. */
function graphInputs(c: Case) {
  const x = decode(c.inputs.features);
  const [n, f] = x.shape;
  const r: number[] = [], col: number[] = [], v: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) if (x.data[i * f + j] !== 0) { r.push(i); col.push(j); v.push(x.data[i * f + j]); }
  const sparse = CsrMatrix.fromCoo(n, f, r, col, v);
  return { x, sparse, adj: normalizedAdjacency(c.graph!.numNodes, [...c.graph!.row, ...c.graph!.col], [...c.graph!.col, ...c.graph!.row]) };
}

const close = (got: Tensor, want: Encoded, what: string) => assertClose(got, want, what, 1e-4, 1e-5);

describe('logits match PyTorch for the same weights and input', () => {
  test('mlp (784-800-10 family: hidden [32, 16], batch norm, dropout, ReLU)', () => {
    const c = byName('mlp');
    const m = load(c, new MLP(c.config));
    close(noGrad(() => m.forward(decode(c.inputs.x))), c.logits, 'mlp logits');
  });

  test('lenet (LeNet-5 at its full size)', () => {
    const c = byName('lenet');
    const m = load(c, new LeNet5(c.config));
    close(noGrad(() => m.forward(decode(c.inputs.x))), c.logits, 'lenet logits');
  });

  test('resnet (depth 8, option A shortcuts; depth 14, option B projections, RGB input)', () => {
    for (const name of ['resnet', 'resnet-b']) {
      const c = byName(name);
      const m = load(c, new ResNet(c.config));
      close(noGrad(() => m.forward(decode(c.inputs.x))), c.logits, `${name} logits`);
    }
  });

  test('gcn (sparse and dense features, with and without bias)', () => {
    for (const name of ['gcn', 'gcn-bias']) {
      const c = byName(name);
      const { x, sparse, adj } = graphInputs(c);
      const m = load(c, new GCN(x.shape[1], c.config.classes, c.config));
      close(noGrad(() => m.forward(sparse, adj)), c.logits, `${name} logits (sparse features)`);
      close(noGrad(() => m.forward(x, adj)), c.logits, `${name} logits (dense features)`);
    }
  });

  test('gae (embeddings and inner-product decoder)', () => {
    const c = byName('gae');
    const { x, sparse, adj } = graphInputs(c);
    const m = load(c, new GAE(x.shape[1], c.config));
    const z = noGrad(() => m.forward(sparse, adj));
    close(z, c.logits, 'gae embeddings');
    const src = decode(c.inputs.src).data as Int32Array, dst = decode(c.inputs.dst).data as Int32Array;
    close(noGrad(() => m.decode(z, src, dst)), c.decoded!, 'gae decoded logits');
  });

  test('dqn (the Q-network)', () => {
    const c = byName('dqn');
    const m = load(c, new QNetwork(c.config.obsSize, c.config.actionCount, c.config.hidden));
    close(noGrad(() => m.forward(decode(c.inputs.x))), c.logits, 'Q-values');
  });

  test('the fixtures stay small and cover every model', () => {
    assert.deepEqual(cases.map((c) => c.name).sort(), ['dqn', 'gae', 'gcn', 'gcn-bias', 'lenet', 'mlp', 'resnet', 'resnet-b']);
    const m = load(byName('mlp'), new MLP(byName('mlp').config));
    // BN statistics came from the file: a model left at PyTorch's init would pass a weaker test
    const rv = m.stateDict().get('layers.0.norm.running_var')!;
    assert.ok(rv.toArray().every((v) => v !== 1), 'running_var loaded');
  });
});
