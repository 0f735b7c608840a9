// The noise-prediction network of DDPM (Ho, Jain & Abbeel 2020): a small U-Net εθ(x_t, t) for 28×28 images.
// It maps a noisy image and its timestep to an image-sized guess of the noise that was added.
//
//   t ──sinusoid(32)──Linear 128──SiLU──Linear 128──► temb (fed to every ResBlock)
//
//   x (1@28) ─conv_in─► 32@28 ─down1 RB─► h1 32@28 ─stride-2 conv─► 32@14 ─down2 RB─► h2 64@14
//            ─stride-2 conv─► 64@7 ─down3 RB─► h3 64@7
//   middle at 7×7:  RB → single-head self-attention over the 49 pixels → RB
//   up:  [·, h3] ─up3 RB─► 64@7 ─nearest×2, conv─► 64@14;  [·, h2] ─up2 RB─► 64@14 ─nearest×2, conv─► 64@28;
//        [·, h1] ─up1 RB─► 32@28 ─GN, SiLU, conv_out─► ε̂ (1@28)
//
// ResBlock(x, temb):  h = conv1(SiLU(GN(x)));  h += Linear(SiLU(temb));  h = conv2(SiLU(GN(h)));  return h + skip(x)
// (skip is a 1×1 conv when the channel count changes, else the identity). GroupNorm has 8 groups everywhere.
// With these sizes the network has 793,697 parameters. Initialisation is PyTorch's layer default throughout.
import { Tensor } from '../tensor.ts';
import { Module, Conv2d, GroupNorm, Linear, MultiheadAttention } from '../nn/index.ts';
import { cat } from '../ops/shape.ts';
import { upsampleNearest2d } from '../ops/pool.ts';
import { shapeStr } from '../backend/types.ts';

export interface UNetConfig {
  /** Image channels in and out. */
  channels: number;
  /** Widths at 28×28, 14×14 and 7×7. */
  widths: [number, number, number];
  /** Sinusoid features of t, and the width of the time embedding. */
  timeFeatures: number;
  timeDim: number;
  groups: number;
}

export const unetDefaults: UNetConfig = { channels: 1, widths: [32, 64, 64], timeFeatures: 32, timeDim: 128, groups: 8 };

/**
 * The transformer's positional sinusoid applied to t (Ho et al.'s get_timestep_embedding): with h = dim/2 and
 * ω_i = 10000^(−i/(h−1)), emb(t) = [sin(t·ω_0), …, sin(t·ω_{h−1}), cos(t·ω_0), …, cos(t·ω_{h−1})]. t (B) → (B, dim).
 */
export function timestepEmbedding(t: ArrayLike<number>, dim: number): Tensor {
  if (!Number.isInteger(dim) || dim < 4 || dim % 2 !== 0) throw new Error(`timestepEmbedding: dim must be an even integer ≥ 4, got ${dim}`);
  const h = dim / 2, b = t.length;
  const out = new Float32Array(b * dim);
  for (let i = 0; i < h; i++) {
    // ω_i = exp(−ln(10000)·i/(h − 1))
    const w = Math.exp((-Math.log(10000) * i) / (h - 1));
    for (let j = 0; j < b; j++) {
      out[j * dim + i] = Math.sin(t[j] * w);
      out[j * dim + h + i] = Math.cos(t[j] * w);
    }
  }
  return new Tensor(out, [b, dim]);
}

/** GN → SiLU → conv3×3, + Linear(SiLU(temb)), GN → SiLU → conv3×3, + skip. */
export class ResBlock extends Module {
  norm1: GroupNorm;
  conv1: Conv2d;
  temb_proj: Linear;
  norm2: GroupNorm;
  conv2: Conv2d;
  skip: Conv2d | null;

  constructor(inChannels: number, outChannels: number, timeDim: number, groups: number) {
    super();
    // GN followed by SiLU is one fused op (nn.GroupNorm's activation option)
    this.norm1 = new GroupNorm(groups, inChannels, { activation: 'silu' });
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { padding: 1 });
    this.temb_proj = new Linear(timeDim, outChannels);
    this.norm2 = new GroupNorm(groups, outChannels, { activation: 'silu' });
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1 });
    this.skip = inChannels !== outChannels ? new Conv2d(inChannels, outChannels, 1) : null;
  }

  /** x (B, Cin, H, W), tembAct = SiLU(temb) (B, timeDim) → (B, Cout, H, W). */
  forward(x: Tensor, tembAct: Tensor): Tensor {
    let h = this.conv1.forward(this.norm1.forward(x));                // conv(SiLU(GN(x))): (B, Cout, H, W)
    const t = this.temb_proj.forward(tembAct);                        // (B, Cout): one shift per sample and channel
    h = this.conv2.forward(this.norm2.forward(h, t));                 // conv(SiLU(GN(h + t))), the add fused into GN
    return h.add(this.skip ? this.skip.forward(x) : x);
  }
}

/** x + Attention(GN(x)): one head over the H·W pixels, each pixel a token of C features. */
export class AttnBlock extends Module {
  norm: GroupNorm;
  attn: MultiheadAttention;

  constructor(channels: number, groups: number) {
    super();
    this.norm = new GroupNorm(groups, channels);
    this.attn = new MultiheadAttention(channels, 1, { batchFirst: true });
  }

  /** x (B, C, H, W) → (B, C, H, W). */
  forward(x: Tensor): Tensor {
    const [b, c, hh, ww] = x.shape;
    const tokens = this.norm.forward(x).reshape(b, c, hh * ww).permute(0, 2, 1); // (B, HW, C)
    // softmax(q·kᵀ/√C)·v, then the output projection
    const [a] = this.attn.forward(tokens, tokens, tokens, { needWeights: false }) as [Tensor, Tensor | null]; // (B, HW, C)
    return x.add(a.permute(0, 2, 1).reshape(b, c, hh, ww));
  }
}

export class UNet extends Module {
  readonly config: UNetConfig;
  temb_lin1: Linear;
  temb_lin2: Linear;
  conv_in: Conv2d;
  down1: ResBlock;
  downsample1: Conv2d;
  down2: ResBlock;
  downsample2: Conv2d;
  down3: ResBlock;
  mid1: ResBlock;
  mid_attn: AttnBlock;
  mid2: ResBlock;
  up3: ResBlock;
  upsample2: Conv2d;
  up2: ResBlock;
  upsample1: Conv2d;
  up1: ResBlock;
  norm_out: GroupNorm;
  conv_out: Conv2d;

  constructor(config: Partial<UNetConfig> = {}) {
    super();
    const c = (this.config = { ...unetDefaults, ...config });
    const [c1, c2, c3] = c.widths, td = c.timeDim, g = c.groups;
    this.temb_lin1 = new Linear(c.timeFeatures, td);
    this.temb_lin2 = new Linear(td, td);
    this.conv_in = new Conv2d(c.channels, c1, 3, { padding: 1 });
    this.down1 = new ResBlock(c1, c1, td, g);
    this.downsample1 = new Conv2d(c1, c1, 3, { stride: 2, padding: 1 });
    this.down2 = new ResBlock(c1, c2, td, g);
    this.downsample2 = new Conv2d(c2, c2, 3, { stride: 2, padding: 1 });
    this.down3 = new ResBlock(c2, c3, td, g);
    this.mid1 = new ResBlock(c3, c3, td, g);
    this.mid_attn = new AttnBlock(c3, g);
    this.mid2 = new ResBlock(c3, c3, td, g);
    this.up3 = new ResBlock(c3 + c3, c3, td, g);
    this.upsample2 = new Conv2d(c3, c3, 3, { padding: 1 });
    this.up2 = new ResBlock(c3 + c2, c2, td, g);
    this.upsample1 = new Conv2d(c2, c2, 3, { padding: 1 });
    this.up1 = new ResBlock(c2 + c1, c1, td, g);
    this.norm_out = new GroupNorm(g, c1, { activation: 'silu' });
    this.conv_out = new Conv2d(c1, c.channels, 3, { padding: 1 });
  }

  /** x (B, C, H, W) with H, W divisible by 4; t: B timesteps → ε̂ (B, C, H, W). */
  forward(x: Tensor, t: ArrayLike<number>): Tensor {
    const { channels, timeFeatures } = this.config;
    if (x.ndim !== 4 || x.shape[1] !== channels || x.shape[2] % 4 !== 0 || x.shape[3] % 4 !== 0) {
      throw new Error(`UNet: expected input (B, ${channels}, H, W) with H and W divisible by 4, got ${shapeStr(x.shape)}`);
    }
    if (t.length !== x.shape[0]) throw new Error(`UNet: ${t.length} timesteps for a batch of ${x.shape[0]} images`);
    // temb = Linear(SiLU(Linear(sinusoid(t)))); every ResBlock reads SiLU(temb)
    const temb = this.temb_lin2.forward(this.temb_lin1.forward(timestepEmbedding(t, timeFeatures)).silu()); // (B, 128)
    const ta = temb.silu();
    const h0 = this.conv_in.forward(x);                            // (B, 32, 28, 28)
    const h1 = this.down1.forward(h0, ta);                         // (B, 32, 28, 28)
    const h2 = this.down2.forward(this.downsample1.forward(h1), ta); // (B, 64, 14, 14)
    const h3 = this.down3.forward(this.downsample2.forward(h2), ta); // (B, 64, 7, 7)
    let h = this.mid2.forward(this.mid_attn.forward(this.mid1.forward(h3, ta)), ta); // (B, 64, 7, 7)
    h = this.up3.forward(cat([h, h3], 1), ta);                     // (B, 128 → 64, 7, 7)
    h = this.upsample2.forward(upsampleNearest2d(h, 2));           // (B, 64, 14, 14)
    h = this.up2.forward(cat([h, h2], 1), ta);                     // (B, 128 → 64, 14, 14)
    h = this.upsample1.forward(upsampleNearest2d(h, 2));           // (B, 64, 28, 28)
    h = this.up1.forward(cat([h, h1], 1), ta);                     // (B, 96 → 32, 28, 28)
    return this.conv_out.forward(this.norm_out.forward(h));        // conv(SiLU(GN(h))): (B, 1, 28, 28)
  }
}
