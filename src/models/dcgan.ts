// Model 7 — the GAN (Goodfellow et al. 2014) with DCGAN's convolutional networks (Radford, Metz & Chintala 2016),
// sized for 28×28 MNIST. A generator G maps noise z ~ N(0, I) to images; a discriminator D outputs a logit
// D(x) = log-odds that x is real. They play the zero-sum game
//   min_G max_D  E_x[log σ(D(x))] + E_z[log(1 − σ(D(G(z))))]
// trained by alternating steps (the step itself lives in src/train/recipes/dcgan.ts):
//   D: minimize L_D = BCE(D(x), 1) + BCE(D(G(z)), 0)      (G(z) detached: no gradient reaches G)
//   G: minimize L_G = BCE(D(G(z)), 1) = −E log σ(D(G(z)))  (the non-saturating loss: strong gradients while D wins)
// with BCE(l, y) = −[y log σ(l) + (1 − y) log(1 − σ(l))] on logits l.
//
// G: z (100) → Linear(100 → 128·7·7, no bias) → BN1d → ReLU → reshape (128, 7, 7)
//      → ConvT(128 → 64, 4, stride 2, pad 1, no bias) → BN2d → ReLU → ConvT(64 → 1, 4, stride 2, pad 1) → tanh
//    771,969 parameters. Output in [−1, 1], the range the data is scaled to.
// D: x (1, 28, 28) → Conv(1 → 64, 4, s2, p1) → LeakyReLU 0.2 → Conv(64 → 128, 4, s2, p1, no bias) → BN2d
//      → LeakyReLU 0.2 → flatten (6272) → Linear(6272 → 1)
//    138,689 parameters.
// Initialization (DCGAN): conv, transposed-conv and linear weights ~ N(0, 0.02), their biases 0;
// batch-norm γ ~ N(1, 0.02), β = 0.
import type { Tensor } from '../tensor.ts';
import { Module, Linear, Conv2d, ConvTranspose2d, BatchNorm1d, BatchNorm2d } from '../nn/index.ts';
import { normal_, zeros_ } from '../nn/init.ts';
import { defaultGenerator, type Generator } from '../random.ts';

export interface DcganConfig {
  /** Noise dimension. */
  zDim: number;
  /** Channels of G's 7×7 map (D's second conv has as many). */
  width: number;
  /** LeakyReLU slope in D. */
  slope: number;
}

export const dcganDefaults: DcganConfig = { zDim: 100, width: 128, slope: 0.2 };

export class DcganGenerator extends Module {
  readonly config: DcganConfig;
  fc: Linear;
  bn0: BatchNorm1d;
  deconv1: ConvTranspose2d;
  bn1: BatchNorm2d;
  deconv2: ConvTranspose2d;

  constructor(config: Partial<DcganConfig> = {}) {
    super();
    const c = (this.config = { ...dcganDefaults, ...config });
    this.fc = new Linear(c.zDim, c.width * 7 * 7, { bias: false });
    this.bn0 = new BatchNorm1d(c.width * 7 * 7);
    this.deconv1 = new ConvTranspose2d(c.width, c.width / 2, 4, { stride: 2, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(c.width / 2);
    this.deconv2 = new ConvTranspose2d(c.width / 2, 1, 4, { stride: 2, padding: 1 });
  }

  /** z (B, zDim) → images (B, 1, 28, 28) in [−1, 1]. */
  forward(z: Tensor): Tensor {
    const w = this.config.width;
    let h = this.bn0.forward(this.fc.forward(z)).relu(); // (B, w·49)
    h = h.reshape(h.shape[0], w, 7, 7);                    // (B, w, 7, 7)
    h = this.bn1.forward(this.deconv1.forward(h)).relu(); // (B, w/2, 14, 14)
    return this.deconv2.forward(h).tanh();                 // (B, 1, 28, 28)
  }
}

export class DcganDiscriminator extends Module {
  readonly config: DcganConfig;
  conv1: Conv2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  fc: Linear;

  constructor(config: Partial<DcganConfig> = {}) {
    super();
    const c = (this.config = { ...dcganDefaults, ...config });
    this.conv1 = new Conv2d(1, c.width / 2, 4, { stride: 2, padding: 1 });
    this.conv2 = new Conv2d(c.width / 2, c.width, 4, { stride: 2, padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(c.width);
    this.fc = new Linear(c.width * 7 * 7, 1);
  }

  /** x (B, 1, 28, 28) → logits (B, 1). */
  forward(x: Tensor): Tensor {
    const s = this.config.slope;
    let h = this.conv1.forward(x).leakyRelu(s);                // (B, w/2, 14, 14)
    h = this.bn2.forward(this.conv2.forward(h)).leakyRelu(s);  // (B, w, 7, 7)
    return this.fc.forward(h.reshape(h.shape[0], -1));         // (B, 1)
  }
}

/** Both players in one module, so one state dict (G.*, D.*) holds the game. */
export class DCGAN extends Module {
  G: DcganGenerator;
  D: DcganDiscriminator;

  constructor(config: Partial<DcganConfig> = {}, generator: Generator = defaultGenerator) {
    super();
    const c = { ...dcganDefaults, ...config };
    if (!Number.isInteger(c.width) || c.width < 2 || c.width % 2 !== 0) throw new Error(`DCGAN: width must be an even integer ≥ 2, got ${c.width}`);
    if (!Number.isInteger(c.zDim) || c.zDim < 1) throw new Error(`DCGAN: zDim must be a positive integer, got ${c.zDim}`);
    this.G = new DcganGenerator(c);
    this.D = new DcganDiscriminator(c);
    dcganInit_(this, generator);
  }

  /** z (B, zDim) → G(z) (B, 1, 28, 28): the model's output is the generator's. */
  forward(z: Tensor): Tensor {
    return this.G.forward(z);
  }
}

/** DCGAN's initialization on every layer of m: weights N(0, 0.02), biases 0, batch-norm γ ~ N(1, 0.02), β = 0. */
export function dcganInit_(m: Module, generator: Generator = defaultGenerator): void {
  m.apply((l) => {
    if (l instanceof Linear || l instanceof Conv2d || l instanceof ConvTranspose2d) {
      normal_(l.weight, 0, 0.02, generator);
      if (l.bias) zeros_(l.bias);
    } else if (l instanceof BatchNorm1d || l instanceof BatchNorm2d) {
      if (l.weight) normal_(l.weight, 1, 0.02, generator);
      if (l.bias) zeros_(l.bias);
    }
  });
}
