// Stochastic gradient descent with momentum, dampening, L2 weight decay and Nesterov momentum (torch.optim.SGD).
import { backend } from '../backend/index.ts';
import { allocate, type FloatArray } from '../backend/types.ts';
import { Optimizer, checkOption, type GroupOptions, type ParamState, type ParamsInput } from './optimizer.ts';

export interface SGDOptions extends GroupOptions {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/**
 * g' = g + wd·p;  buf ← momentum·buf + (1 − dampening)·g' (buf = g' at first);
 * p ← p − lr·(nesterov ? g' + momentum·buf : buf)   (plain p ← p − lr·g' without momentum).
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, opts: Partial<SGDOptions> & { lr: number }) {
    if (typeof opts?.lr !== 'number') throw new Error('SGD: lr is required (PyTorch has no default learning rate for SGD)');
    super('SGD', params, { lr: NaN, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false }, opts);
  }

  protected checkOptions(o: SGDOptions, where: string): void {
    checkOption(where, 'lr', o.lr, (v) => v >= 0, 'must be >= 0');
    checkOption(where, 'momentum', o.momentum, (v) => v >= 0, 'must be >= 0');
    checkOption(where, 'dampening', o.dampening, Number.isFinite, 'must be finite');
    checkOption(where, 'weightDecay', o.weightDecay, (v) => v >= 0, 'must be >= 0');
    if (typeof o.nesterov !== 'boolean') throw new Error(`${where}: nesterov must be a boolean, got ${JSON.stringify(o.nesterov)}`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new Error(`${where}: Nesterov momentum requires momentum > 0 and dampening 0 (got momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  }

  protected checkState(s: ParamState, _o: SGDOptions, where: string): void {
    const b = s.momentumBuffer;
    if (b !== undefined && b !== null && !(b instanceof Float32Array || b instanceof Float64Array)) {
      throw new Error(`${where}: 'momentumBuffer' must be a buffer or null`);
    }
  }

  step(): void {
    const be = backend();
    for (const group of this.paramGroups) {
      const { lr, momentum, dampening, weightDecay, nesterov } = group;
      for (const p of group.params) {
        const g = this.gradOf(p);
        if (!g) continue;
        const s = this.state.get(p) ?? {};
        let buf = (s.momentumBuffer ?? null) as FloatArray | null;
        const first = buf === null;
        if (momentum !== 0 && first) buf = allocate(p.dtype, p.size) as FloatArray;
        be.sgdStep(p.data as FloatArray, g, momentum !== 0 ? buf : null, lr, momentum, dampening, weightDecay, nesterov, first);
        this.state.set(p, { ...s, momentumBuffer: momentum !== 0 ? buf : null });
      }
    }
  }
}
