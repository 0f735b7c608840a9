// Model 3 — ResNet for small images (He, Zhang, Ren & Sun 2016, section 4.2: the CIFAR-10 networks).
// A residual block learns F(x) and outputs relu(F(x) + x): the identity path lets gradients and signals pass
// unchanged through depth, so a deeper net can do at least as well as a shallower one (the "degradation" of plain
// deep nets does not happen). Layout, depth 6n + 2:
//   conv3×3 16 → stage 1: n blocks, 16 ch → stage 2: n blocks, 32 ch (first stride 2) → stage 3: n blocks, 64 ch
//   (first stride 2) → global average pool → linear.
// ResNet-20 (n = 3): 0.27M parameters with the paper's parameter-free shortcut (option A: subsample + zero-pad
// channels). `plain: true` drops the shortcuts (the paper's plain baselines).
import { Tensor } from '../tensor.ts';
import { Module, ModuleList, Conv2d, BatchNorm2d, Linear } from '../nn/index.ts';
import { kaimingNormal_ } from '../nn/init.ts';
import { cat } from '../ops/shape.ts';
import { zeros } from '../tensor.ts';

export const resnetShortcuts = ['A', 'B'] as const;

export interface ResNetConfig {
  /** 6n + 2: 20, 32, 44, 56, 110 (also 8 and 14 for small experiments). */
  depth: number;
  inChannels: number;
  classes: number;
  /** Stage widths. */
  widths: [number, number, number];
  /** 'A': subsample + zero-pad (parameter-free, the paper's CIFAR choice); 'B': 1×1 conv + batch norm projection. */
  shortcut: (typeof resnetShortcuts)[number];
  /** No shortcuts at all: the plain network of the same depth. */
  plain: boolean;
}

export const resnetDefaults: ResNetConfig = { depth: 20, inChannels: 1, classes: 10, widths: [16, 32, 64], shortcut: 'A', plain: false };

/** Option A shortcut: take every other pixel, then pad the channels with zeros to the new width. */
function shortcutA(x: Tensor, outChannels: number, stride: number): Tensor {
  let s = stride > 1 ? x.slice(2, 0, undefined, stride).slice(3, 0, undefined, stride) : x; // (B, C, H/s, W/s)
  const extra = outChannels - s.shape[1];
  if (extra > 0) {
    const [b, , h, w] = s.shape;
    const before = Math.floor(extra / 2);
    s = cat([zeros([b, before, h, w]), s, zeros([b, extra - before, h, w])], 1); // (B, outChannels, H/s, W/s)
  }
  return s;
}

/** conv3×3 → BN → relu → conv3×3 → BN, plus the shortcut, then relu. */
export class BasicBlock extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Module | null = null;
  private readonly needsA: boolean;

  constructor(inChannels: number, outChannels: number, private readonly stride: number, private readonly mode: ResNetConfig['shortcut'], private readonly plain: boolean) {
    super();
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(outChannels);
    const changes = stride !== 1 || inChannels !== outChannels;
    this.needsA = changes && mode === 'A';
    if (changes && mode === 'B' && !plain) this.downsample = new Projection(inChannels, outChannels, stride);
  }

  forward(x: Tensor): Tensor {
    let out = this.bn1.forward(this.conv1.forward(x)).relu();
    out = this.bn2.forward(this.conv2.forward(out));
    if (!this.plain) {
      const identity = this.downsample ? this.downsample.forward(x) : this.needsA ? shortcutA(x, out.shape[1], this.stride) : x;
      out = out.add(identity);
    }
    return out.relu();
  }
}

/** Option B: a strided 1×1 convolution and batch norm. */
class Projection extends Module {
  conv: Conv2d;
  bn: BatchNorm2d;
  constructor(inChannels: number, outChannels: number, stride: number) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, 1, { stride, bias: false });
    this.bn = new BatchNorm2d(outChannels);
  }
  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x));
  }
}

export class ResNet extends Module {
  readonly config: ResNetConfig;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  layer1: ModuleList<BasicBlock>;
  layer2: ModuleList<BasicBlock>;
  layer3: ModuleList<BasicBlock>;
  fc: Linear;

  constructor(config: Partial<ResNetConfig> = {}) {
    super();
    const c = (this.config = { ...resnetDefaults, ...config });
    if ((c.depth - 2) % 6 !== 0 || c.depth < 8) throw new Error(`ResNet: depth must be 6n + 2 with n ≥ 1 (8, 14, 20, 32, 56, …), got ${c.depth}`);
    const n = (c.depth - 2) / 6;
    this.conv1 = new Conv2d(c.inChannels, c.widths[0], 3, { padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(c.widths[0]);
    let inCh = c.widths[0];
    const stage = (width: number, firstStride: number) => new ModuleList(Array.from({ length: n }, (_, i) => {
      const block = new BasicBlock(inCh, width, i === 0 ? firstStride : 1, c.shortcut, c.plain);
      inCh = width;
      return block;
    }));
    this.layer1 = stage(c.widths[0], 1);
    this.layer2 = stage(c.widths[1], 2);
    this.layer3 = stage(c.widths[2], 2);
    this.fc = new Linear(inCh, c.classes);
    // He et al. initialise convolutions with Kaiming-normal (fan_out, as torchvision does)
    for (const m of this.modules()) if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
  }

  /** x (B, C, H, W) → logits (B, classes). */
  forward(x: Tensor): Tensor {
    let h = this.bn1.forward(this.conv1.forward(x)).relu(); // (B, 16, H, W)
    for (const stage of [this.layer1, this.layer2, this.layer3]) for (const b of stage) h = b.forward(h); // (B, 64, H/4, W/4)
    h = h.mean([2, 3]);                                     // (B, 64) global average pool
    return this.fc.forward(h);
  }
}
