// Module: torch.nn.Module's counterpart. A module's parameters, buffers and submodules are its own properties,
// found by looking at them (like PyTorch's __setattr__ bookkeeping, but read back instead of intercepted):
//   - a property holding a Parameter is a parameter,
//   - a property holding a Module is a submodule,
//   - a property named by registerBuffer() holding a Tensor is a buffer.
// So `this.fc = new Linear(2, 3)` or a class field `fc = new Linear(2, 3)` registers a child, and reassigning a
// property replaces the entry. Names are the property names, so they are PyTorch's (weight, running_mean, …)
// and state dicts move to and from PyTorch unchanged. Order is JavaScript property order: insertion order,
// except that integer-like names ('0', '1', …) come first in numeric order (only containers use those).
// One pitfall of class fields: a subclass that re-declares a field its base class registered (e.g. `weight:
// Parameter;` again) resets it to undefined after the base constructor ran; use `declare weight: Parameter;`.
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { allocate, sameShape, shapeStr, type DType, type Storage } from '../backend/types.ts';

/** A tensor that is a module parameter: a leaf that requires grad (torch.nn.Parameter). */
export class Parameter extends Tensor {
  constructor(data: Storage, shape: readonly number[], requiresGrad = true) {
    super(data, shape, requiresGrad);
  }
}

/** Wraps t's storage (shared, detached) as a Parameter. */
export function parameter(t: Tensor, requiresGrad = true): Parameter {
  if (t.dtype === 'int32') throw new Error(`parameter: parameters must be float tensors, got int32 of shape ${shapeStr(t.shape)}`);
  return new Parameter(t.data, t.shape, requiresGrad);
}

export type StateDict = Map<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const NAME = /^[^.]+$/;

export abstract class Module {
  /** True in training mode (dropout active, batch norm uses batch statistics). */
  training = true;
  /** buffer name → persistent (included in stateDict). */
  private readonly bufferNames = new Map<string, boolean>();

  abstract forward(...args: any[]): any;

  // ---------- registration ----------

  private checkName(kind: string, name: string): void {
    if (typeof name !== 'string' || !NAME.test(name)) throw new Error(`${kind}: name '${name}' must be a non-empty string without '.'`);
    if (name in this && !Object.prototype.hasOwnProperty.call(this, name)) {
      throw new Error(`${kind}: '${name}' would shadow a method or property of ${this.constructor.name}`);
    }
  }

  /** Sets this[name] to a parameter (a plain tensor is wrapped, sharing storage); null registers nothing. */
  registerParameter<T extends Tensor | null>(name: string, t: T): T extends null ? null : Parameter {
    this.checkName('registerParameter', name);
    if (this.bufferNames.has(name)) throw new Error(`registerParameter: '${name}' is already a buffer`);
    const p = t === null ? null : t instanceof Parameter ? t : parameter(t);
    (this as any)[name] = p;
    return p as any;
  }

  /** Sets this[name] to a buffer: state that is not trained (running statistics). Non-persistent buffers stay out of stateDict. */
  registerBuffer<T extends Tensor | null>(name: string, t: T, persistent = true): T {
    this.checkName('registerBuffer', name);
    if (t instanceof Parameter) throw new Error(`registerBuffer: '${name}' is a Parameter; use registerParameter`);
    this.bufferNames.set(name, persistent);
    (this as any)[name] = t;
    return t;
  }

  registerModule<M extends Module | null>(name: string, m: M): M {
    this.checkName('registerModule', name);
    (this as any)[name] = m;
    return m;
  }

  // ---------- this module's own entries ----------

  /** [name, value] of every own property, in property order. */
  protected ownEntries(): [string, unknown][] {
    return Object.entries(this);
  }

  private ownParameters(): [string, Parameter][] {
    return this.ownEntries().filter((e): e is [string, Parameter] => e[1] instanceof Parameter && !this.bufferNames.has(e[0]));
  }

  private ownBuffers(persistentOnly: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, persistent] of this.bufferNames) {
      const t = (this as any)[name];
      if (t instanceof Tensor && (persistent || !persistentOnly)) out.push([name, t]);
    }
    return out;
  }

  /** Direct submodules with their names. */
  *namedChildren(): IterableIterator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, v] of this.ownEntries()) {
      if (v instanceof Module && !seen.has(v)) { seen.add(v); yield [name, v]; }
    }
  }

  *children(): IterableIterator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and every submodule (pre-order, each once), with dotted names; '' is this module. */
  *namedModules(prefix = '', memo = new Set<Module>()): IterableIterator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, child] of this.ownEntries()) {
      if (child instanceof Module) yield* child.namedModules(prefix ? `${prefix}.${name}` : name, memo);
    }
  }

  *modules(): IterableIterator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Every parameter once (a shared one under its first name), e.g. 'layers.0.weight'. */
  *namedParameters(recurse = true): IterableIterator<[string, Parameter]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules() : [['', this]];
    for (const [prefix, m] of mods) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield [prefix ? `${prefix}.${name}` : name, p];
      }
    }
  }

  parameters(recurse = true): Parameter[] {
    return Array.from(this.namedParameters(recurse), ([, p]) => p);
  }

  *namedBuffers(recurse = true): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules() : [['', this]];
    for (const [prefix, m] of mods) {
      for (const [name, b] of m.ownBuffers(false)) {
        if (seen.has(b)) continue;
        seen.add(b);
        yield [prefix ? `${prefix}.${name}` : name, b];
      }
    }
  }

  buffers(recurse = true): Tensor[] {
    return Array.from(this.namedBuffers(recurse), ([, b]) => b);
  }

  /** Number of parameter elements (each shared parameter once); trainableOnly counts those requiring grad. */
  numParameters(trainableOnly = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  // ---------- modes and traversal ----------

  /** Sets training mode on this module and every submodule. */
  train(on = true): this {
    for (const m of this.modules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** fn on every submodule (children first, recursively), then on this module, like torch's Module.apply. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Clears every parameter's gradient (setToNone, PyTorch 2's default) or zeroes it in place. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else if (p.grad) p.grad.data.fill(0);
    }
  }

  /** Parameters on or off for training (torch's requires_grad_). */
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad = on;
    return this;
  }

  /**
   * Converts every float parameter and float buffer to `dtype` (a new Parameter with the same requiresGrad;
   * int buffers such as num_batches_tracked stay int32). Gradients are dropped. The parameters are new objects,
   * so convert before handing parameters() to an optimizer.
   */
  to(dtype: DType): this {
    if (dtype === 'int32') throw new Error('Module.to: modules can only be converted to a float dtype');
    // one converted tensor per original, so tied (shared) parameters stay shared
    const done = new Map<Tensor, Tensor>();
    const convert = (t: Tensor, make: (d: Storage) => Tensor): Tensor => {
      let c = done.get(t);
      if (!c) {
        const d = allocate(dtype, t.size);
        d.set(t.data);
        c = make(d);
        done.set(t, c);
      }
      return c;
    };
    for (const m of this.modules()) {
      for (const [name, p] of m.ownParameters()) {
        if (p.dtype !== dtype) (m as any)[name] = convert(p, (d) => new Parameter(d, p.shape, p.requiresGrad));
      }
      for (const [name, b] of m.ownBuffers(false)) {
        if (b.dtype !== dtype && b.dtype !== 'int32') (m as any)[name] = convert(b, (d) => new Tensor(d, b.shape));
      }
    }
    return this;
  }

  double(): this { return this.to('float64'); }
  float(): this { return this.to('float32'); }

  // ---------- state dicts ----------

  /**
   * Parameters and persistent buffers by dotted name, in PyTorch's order (each module's parameters, then its
   * buffers, then its children). Values share storage with the module (detached), like torch's state_dict().
   * A shared parameter appears under every name it has, as in PyTorch.
   */
  stateDict(): StateDict {
    const sd: StateDict = new Map();
    const visit = (m: Module, prefix: string) => {
      for (const [name, p] of m.ownParameters()) sd.set(prefix + name, p.detach());
      for (const [name, b] of m.ownBuffers(true)) sd.set(prefix + name, b.detach());
      for (const [name, c] of m.ownEntries()) if (c instanceof Module) visit(c, `${prefix}${name}.`);
    };
    visit(this, '');
    return sd;
  }

  /** The tensors stateDict() would return, as the module's own objects (not detached). */
  private stateTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const visit = (m: Module, prefix: string) => {
      for (const [name, p] of m.ownParameters()) out.set(prefix + name, p);
      for (const [name, b] of m.ownBuffers(true)) out.set(prefix + name, b);
      for (const [name, c] of m.ownEntries()) if (c instanceof Module) visit(c, `${prefix}${name}.`);
    };
    visit(this, '');
    return out;
  }

  /**
   * Copies `sd` into the module's parameters and buffers in place (values converted to each target's dtype).
   * Any shape mismatch throws, naming the key and both shapes. With strict (the default) missing or unexpected
   * keys throw as well; nothing is copied when it throws.
   */
  loadStateDict(sd: StateDict | Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const given = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateTensors();
    const missingKeys = [...own.keys()].filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !own.has(k));
    const errors: string[] = [];
    for (const [key, src] of given) {
      const dst = own.get(key);
      if (!dst) continue;
      if (!(src instanceof Tensor)) errors.push(`'${key}': expected a Tensor, got ${typeof src}`);
      else if (!sameShape(src.shape, dst.shape)) {
        errors.push(`size mismatch for '${key}': copying a param with shape ${shapeStr(src.shape)} from the state dict, the shape in the current model is ${shapeStr(dst.shape)}`);
      }
    }
    if (strict && missingKeys.length) errors.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
    if (strict && unexpectedKeys.length) errors.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    if (errors.length) throw new Error(`loadStateDict: error(s) loading the state dict for ${this.constructor.name}:\n  ${errors.join('\n  ')}`);
    noGrad(() => {
      for (const [key, src] of given) {
        const dst = own.get(key);
        if (!dst || dst.data === src.data) continue;
        if (dst.dtype === 'int32') for (let i = 0; i < src.size; i++) dst.data[i] = Math.trunc(src.data[i]);
        else dst.data.set(src.data);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---------- printing ----------

  /** Constructor arguments for toString(), e.g. 'in_features=2, out_features=3'. */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = [...this.ownEntries()].filter(([, v]) => v instanceof Module) as [string, Module][];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return `${head})`;
    const lines = kids.map(([name, m]) => `  (${name}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
