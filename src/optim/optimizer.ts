// The optimizer base: parameter groups, per-parameter state and state dicts, as torch.optim.Optimizer.
// Subclasses only say how one group's parameters are updated (through the backend's fused kernels).
import type { Tensor } from '../tensor.ts';
import { shapeStr, type FloatArray } from '../backend/types.ts';

/** Options every optimizer has; schedulers read and write lr (and set initialLr once). */
export interface GroupOptions {
  lr: number;
}

/** An option value: numbers, flags, and fixed tuples such as Adam's betas. */
export type OptionValue = number | boolean | readonly number[];

export type ParamGroup<O> = O & { params: Tensor[]; initialLr?: number };
/** A flat list of parameters (one group), or groups each overriding some of the defaults. */
export type ParamsInput<O> = Tensor[] | ({ params: Tensor[] } & Partial<O> & { initialLr?: number })[];

export type StateValue = number | boolean | null | FloatArray;
export type ParamState = Record<string, StateValue>;

/**
 * Plain data plus typed-array buffers. Parameters are numbered 0, 1, … through the groups in order; `state` is
 * keyed by that number and each group lists its parameters' numbers. loadStateDict also accepts plain number
 * arrays for buffers (after a JSON round trip).
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, StateValue | number[]>>;
  paramGroups: ({ params: number[] } & Record<string, OptionValue | number[]>)[];
}

function copyOption(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : v;
}

function isBuffer(v: unknown): v is ArrayLike<number> {
  return v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v);
}

export abstract class Optimizer<O extends GroupOptions = GroupOptions> {
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moment estimates, step counts), created on a parameter's first step. */
  state = new Map<Tensor, ParamState>();

  readonly defaults: O;

  /** `opts` override `defaults`; an option name the optimizer does not have is an error (catches typos). */
  constructor(readonly name: string, params: ParamsInput<O>, defaults: O, opts: Partial<O> = {}) {
    const merged = { ...defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(opts)) {
      if (!(k in defaults)) throw new Error(`${name}: unknown option '${k}' (${name} takes ${Object.keys(defaults).join(', ')})`);
      if (v !== undefined) merged[k] = v;
    }
    this.defaults = merged as O;
    if (!Array.isArray(params) || params.length === 0) throw new Error(`${name}: got an empty parameter list`);
    const grouped = params.every((p) => typeof p === 'object' && p !== null && 'params' in p && !('data' in p));
    const groups = grouped ? (params as ({ params: Tensor[] } & Partial<O>)[]) : [{ params: params as Tensor[] } as { params: Tensor[] } & Partial<O>];
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group; options it leaves out come from the defaults. A parameter may belong to only one group. */
  addParamGroup(group: { params: Tensor[] } & Partial<O> & { initialLr?: number }): void {
    const where = `${this.name}: parameter group ${this.paramGroups.length}`;
    if (!Array.isArray(group.params) || group.params.length === 0) throw new Error(`${where} has no parameters`);
    const seen = new Set<Tensor>(this.paramGroups.flatMap((g) => g.params));
    group.params.forEach((p, i) => {
      if (!p || typeof p !== 'object' || !('data' in p) || !('shape' in p)) throw new Error(`${where}: parameter ${i} is not a Tensor`);
      if (p.dtype === 'int32') throw new Error(`${where}: parameter ${i} (shape ${shapeStr(p.shape)}) is int32; only float tensors can be optimized`);
      if (!p.isLeaf) throw new Error(`${where}: parameter ${i} (shape ${shapeStr(p.shape)}) is not a leaf tensor; optimize the leaves it was computed from`);
      if (seen.has(p)) throw new Error(`${where}: parameter ${i} (shape ${shapeStr(p.shape)}) already belongs to a parameter group`);
      seen.add(p);
    });
    const full = { ...this.defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(group)) {
      if (k === 'params') continue;
      if (!(k in this.defaults) && k !== 'initialLr') throw new Error(`${where}: unknown option '${k}' (${this.name} takes ${Object.keys(this.defaults).join(', ')})`);
      if (v !== undefined) full[k] = copyOption(v);
    }
    for (const k of Object.keys(this.defaults)) full[k] = copyOption(full[k]);
    const g = { ...full, params: [...group.params] } as ParamGroup<O>;
    this.checkOptions(g, where);
    this.paramGroups.push(g);
  }

  /** Throws, naming `where` and the option, when a group's hyper-parameters are invalid. */
  protected abstract checkOptions(o: O, where: string): void;

  /** Throws when a loaded state entry lacks what step() needs (buffer sizes are checked already). */
  protected abstract checkState(s: ParamState, o: O, where: string): void;

  /** Updates every parameter that has a gradient. */
  abstract step(): void;

  /**
   * Clears the gradients. setToNone (the default, as PyTorch 2) drops them, so a parameter that receives none
   * before the next step() is skipped; false zeroes them in place.
   */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone) p.grad = null; else p.grad.data.fill(0);
      }
    }
  }

  /** p's gradient storage, checked against p; null when p has no gradient. */
  protected gradOf(p: Tensor): FloatArray | null {
    const g = p.grad;
    if (!g) return null;
    if (g.dtype !== p.dtype || g.size !== p.size) {
      throw new Error(`${this.name}.step: parameter of shape ${shapeStr(p.shape)} (${p.dtype}) has a gradient of shape ${shapeStr(g.shape)} (${g.dtype})`);
    }
    return g.data as FloatArray;
  }

  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    let id = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) {
          const copy: Record<string, StateValue> = {};
          for (const [k, v] of Object.entries(s)) copy[k] = isBuffer(v) ? v.slice() : v;
          state[id] = copy;
        }
        ids.push(id++);
      }
      const opts: Record<string, OptionValue | number[]> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') opts[k] = copyOption(v) as OptionValue;
      return { ...opts, params: ids };
    });
    return { state, paramGroups };
  }

  /**
   * Restores hyper-parameters and state saved by stateDict() from an optimizer over parameters of the same
   * shapes in the same groups. Everything is checked before anything changes; errors say what mismatches.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || !sd.state || typeof sd.state !== 'object') {
      throw new Error(`${op}: expected an object { state, paramGroups }`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${op}: the state dict has ${sd.paramGroups.length} parameter group(s), this optimizer has ${this.paramGroups.length}`);
    }
    const owner = new Map<number, [Tensor, number]>(); // saved id → (parameter, group index)
    const newOptions = this.paramGroups.map((g, gi) => {
      const saved = sd.paramGroups[gi];
      const where = `${op}: parameter group ${gi}`;
      if (!saved || !Array.isArray(saved.params)) throw new Error(`${where} has no params list`);
      if (saved.params.length !== g.params.length) {
        throw new Error(`${where} has ${saved.params.length} parameter(s) in the state dict, ${g.params.length} in this optimizer`);
      }
      saved.params.forEach((id, j) => {
        if (owner.has(id)) throw new Error(`${where}: parameter id ${id} is listed twice`);
        owner.set(id, [g.params[j], gi]);
      });
      const opts: Record<string, unknown> = {};
      for (const k of Object.keys(this.defaults)) {
        const cur = (g as unknown as Record<string, unknown>)[k], v = saved[k];
        if (v === undefined) throw new Error(`${where} lacks option '${k}'`);
        const ok = Array.isArray(cur) ? Array.isArray(v) && v.length === cur.length && v.every((x) => typeof x === 'number') : typeof v === typeof cur;
        if (!ok) throw new Error(`${where}: option '${k}' is ${JSON.stringify(v)}, expected a value like ${JSON.stringify(cur)}`);
        opts[k] = copyOption(v);
      }
      for (const k of Object.keys(saved)) {
        if (k !== 'params' && k !== 'initialLr' && !(k in this.defaults)) throw new Error(`${where} has unknown option '${k}'`);
      }
      if (saved.initialLr !== undefined) {
        if (typeof saved.initialLr !== 'number') throw new Error(`${where}: initialLr must be a number`);
        opts.initialLr = saved.initialLr;
      }
      this.checkOptions(opts as unknown as O, where);
      return opts;
    });
    const state = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(sd.state)) {
      const id = Number(key);
      const own = owner.get(id);
      if (!own) throw new Error(`${op}: the state dict has state for parameter ${key}, which no parameter group lists`);
      const [p, gi] = own;
      const where = `${op}: state of parameter ${id} (group ${gi}, shape ${shapeStr(p.shape)})`;
      if (!entry || typeof entry !== 'object') throw new Error(`${where} is not an object`);
      const s: ParamState = {};
      for (const [k, v] of Object.entries(entry)) {
        if (isBuffer(v)) {
          if (v.length !== p.size) throw new Error(`${where}: '${k}' has ${v.length} element(s), the parameter has ${p.size}`);
          s[k] = p.dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v);
        } else if (v === null || typeof v === 'number' || typeof v === 'boolean') {
          s[k] = v;
        } else {
          throw new Error(`${where}: '${k}' is neither a number nor a buffer`);
        }
      }
      this.checkState(s, newOptions[gi] as unknown as O, where);
      state.set(p, s);
    }
    this.paramGroups.forEach((g, gi) => {
      delete g.initialLr;
      Object.assign(g, newOptions[gi]);
    });
    this.state = state;
  }
}

/** Throws `${where}: invalid <name> <v>` unless test(v). */
export function checkOption(where: string, name: string, v: unknown, test: (v: number) => boolean, rule: string): void {
  if (typeof v !== 'number' || !test(v)) throw new Error(`${where}: invalid ${name} ${JSON.stringify(v)} (${rule})`);
}

/** A state entry's buffer, checked present. */
export function requireBuffer(s: ParamState, key: string, where: string): FloatArray {
  const v = s[key];
  if (!(v instanceof Float32Array || v instanceof Float64Array)) throw new Error(`${where} lacks buffer '${key}'`);
  return v;
}
