// torch.nn.init: in-place initialisers writing straight into a tensor's storage (no graph is recorded).
// Every draw comes from the seeded generator (defaultGenerator unless one is passed), so a seed fixes the weights.
import type { Tensor } from '../tensor.ts';
import { defaultGenerator, type Generator } from '../random.ts';
import { shapeStr } from '../backend/types.ts';
import { requireFloat } from '../ops/base.ts';

export type Nonlinearity = 'linear' | 'identity' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d'
  | 'conv_transpose3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). param is leaky_relu's negative slope. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'identity': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new Error(`calculateGain: negative slope ${param} is not a number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default: throw new Error(`calculateGain: unsupported nonlinearity '${nonlinearity}'`);
  }
}

/**
 * fan_in = shape[1]·receptive, fan_out = shape[0]·receptive, receptive = Π shape[2:] (a Linear weight is
 * (out, in); a conv weight (out, in, kh, kw); a transposed conv weight (in, out, kh, kw), as in PyTorch).
 */
export function calculateFanInAndFanOut(t: Tensor | readonly number[]): [number, number] {
  const shape = Array.isArray(t) ? t as readonly number[] : (t as Tensor).shape;
  if (shape.length < 2) throw new Error(`calculateFanInAndFanOut: fan in and fan out need at least 2 dimensions, got shape ${shapeStr(shape)}`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1] * receptive, shape[0] * receptive];
}

function fan(fn: string, t: Tensor, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`${fn}: mode must be 'fan_in' or 'fan_out', got '${mode}'`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const f = mode === 'fan_in' ? fanIn : fanOut;
  if (f === 0) throw new Error(`${fn}: cannot initialize an empty tensor of shape ${shapeStr(t.shape)}`);
  return f;
}

/** U(a, b) in place. */
export function uniform_(t: Tensor, a = 0, b = 1, generator: Generator = defaultGenerator): Tensor {
  requireFloat('uniform_', t);
  if (!(a <= b)) throw new Error(`uniform_: need a <= b, got a=${a}, b=${b}`);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = generator.uniform(a, b);
  return t;
}

/** N(mean, std²) in place. */
export function normal_(t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  requireFloat('normal_', t);
  if (!(std >= 0)) throw new Error(`normal_: std must be >= 0, got ${std}`);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = generator.normal(mean, std);
  return t;
}

/** N(mean, std²) truncated to [a, b] by rejection (torch.nn.init.trunc_normal_; ViT-style init). */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, generator: Generator = defaultGenerator): Tensor {
  requireFloat('truncNormal_', t);
  if (!(std > 0) || !(a < b)) throw new Error(`truncNormal_: need std > 0 and a < b, got std=${std}, a=${a}, b=${b}`);
  // rejection is only slow when [a, b] holds little of the mass; refuse those rather than loop for ages
  if ((b - mean) / std < -4 || (a - mean) / std > 4) throw new Error(`truncNormal_: [${a}, ${b}] is more than 4 std from the mean ${mean}`);
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    let v: number;
    do v = generator.normal(mean, std); while (v < a || v > b);
    d[i] = v;
  }
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t;
}

export function zeros_(t: Tensor): Tensor { return constant_(t, 0); }
export function ones_(t: Tensor): Tensor { return constant_(t, 1); }

/** The identity in a 2-D tensor (ones on the diagonal). */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new Error(`eye_: expected a 2-D tensor, got shape ${shapeStr(t.shape)}`);
  t.data.fill(0);
  const [r, c] = t.shape;
  for (let i = 0; i < Math.min(r, c); i++) t.data[i * c + i] = 1;
  return t;
}

/** Glorot uniform: U(−a, a), a = gain·√(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, generator: Generator = defaultGenerator): Tensor {
  requireFloat('xavierUniform_', t);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, generator);
}

/** Glorot normal: N(0, std²), std = gain·√(2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1, generator: Generator = defaultGenerator): Tensor {
  requireFloat('xavierNormal_', t);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
}

export interface KaimingOptions {
  /** Negative slope of the following leaky_relu (only used when nonlinearity is 'leaky_relu'). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

/** He uniform: U(−bound, bound), bound = gain·√(3 / fan), gain = calculateGain(nonlinearity, a). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  requireFloat('kaimingUniform_', t);
  const f = fan('kaimingUniform_', t, opts.mode ?? 'fan_in');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  const bound = gain * Math.sqrt(3 / f);
  return uniform_(t, -bound, bound, opts.generator);
}

/**
 * PyTorch's default for Linear and Conv layers: weight ~ kaiming_uniform(a = √5), i.e. U(±1/√fan_in), and
 * bias ~ U(±1/√fan_in).
 */
export function defaultLayerInit_(weight: Tensor, bias: Tensor | null, generator: Generator = defaultGenerator): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound, generator);
  }
}

/** He normal: N(0, std²), std = gain / √fan. */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  requireFloat('kaimingNormal_', t);
  const f = fan('kaimingNormal_', t, opts.mode ?? 'fan_in');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(f), opts.generator);
}
