// Composition: the engine, nn and optim together learn. An MLP learns XOR; a small CNN drives the loss on a
// fixed batch close to zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dt from '../../src/index.ts';
import { nn, optim, F } from '../../src/index.ts';

test('a 2-8-1 MLP learns XOR', () => {
  dt.manualSeed(0);
  const x = dt.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = dt.tensor([[0], [1], [1], [0]]);
  const net = new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 1));
  const opt = new optim.Adam(net.parameters(), { lr: 0.05 });
  let loss = Infinity;
  for (let i = 0; i < 500; i++) {
    const l = F.binaryCrossEntropyWithLogits(net.forward(x), y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    loss = l.item();
  }
  const pred = dt.noGrad(() => net.forward(x).sigmoid());
  assert.ok(loss < 0.02, `final loss ${loss}`);
  assert.deepEqual(Array.from(pred.data as Float32Array, (p) => (p > 0.5 ? 1 : 0)), [0, 1, 1, 0]);
});

test('a small CNN drives the loss on a fixed batch close to zero', () => {
  dt.manualSeed(1);
  const x = dt.randn([16, 1, 12, 12]);
  const y = dt.randint(0, 4, [16]);
  class Net extends nn.Module {
    conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
    bn = new nn.BatchNorm2d(8);
    conv2 = new nn.Conv2d(8, 8, 3);
    fc = new nn.Linear(8 * 5 * 5, 4);
    forward(x: dt.Tensor): dt.Tensor {
      let h = F.maxPool2d(this.bn.forward(this.conv1.forward(x)).relu(), 2); // (B, 8, 6, 6)
      h = this.conv2.forward(h).relu();                                      // (B, 8, 4, 4)… then pad to 5×5 via upsample+pool
      h = F.avgPool2d(F.upsampleNearest2d(h, 5), 4);                         // (B, 8, 5, 5)
      return this.fc.forward(h.flatten(1));
    }
  }
  const net = new Net();
  const opt = new optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
  const first = F.crossEntropy(net.forward(x), y).item();
  let last = first;
  for (let i = 0; i < 150; i++) {
    const l = F.crossEntropy(net.forward(x), y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    last = l.item();
  }
  assert.ok(first > 1, `initial loss ${first}`);
  assert.ok(last < 0.01, `final loss ${last}`);
});
