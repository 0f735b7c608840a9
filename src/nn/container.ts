// Containers: Sequential, ModuleList, ModuleDict. Children are own properties named '0', '1', … (or the
// dict's keys), so `seq[0]` indexes and state dict keys are PyTorch's ('0.weight', 'layers.1.bias').
import { Module } from './module.ts';

function isModule(m: unknown): m is Module {
  return m instanceof Module;
}

/** A list of submodules named '0', '1', …; indexable (list[i]), iterable. */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  [index: number]: M;

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    let n = 0;
    while (isModule((this as any)[n])) n++;
    return n;
  }

  /** The i-th module; negative i counts from the end. */
  get(i: number): M {
    const n = this.length;
    const j = i < 0 ? i + n : i;
    if (!Number.isInteger(i) || j < 0 || j >= n) throw new Error(`${this.constructor.name}.get: index ${i} is out of range for ${n} module(s)`);
    return this[j];
  }

  append(m: M): this {
    if (!isModule(m)) throw new Error(`${this.constructor.name}.append: expected a Module, got ${m === null ? 'null' : typeof m}`);
    this.registerModule(String(this.length), m);
    return this;
  }

  extend(ms: Iterable<M>): this {
    for (const m of ms) this.append(m);
    return this;
  }

  *[Symbol.iterator](): Iterator<M> {
    const n = this.length;
    for (let i = 0; i < n; i++) yield this[i];
  }

  forward(..._args: unknown[]): never {
    throw new Error(`${this.constructor.name}: a ModuleList has no forward(); call its modules`);
  }
}

/**
 * Runs its modules in order, each one's output the next one's input. new Sequential(a, b, c) names them '0', '1',
 * '2' (seq[0] indexes); new Sequential({conv: a, act: b}) uses the keys (PyTorch's OrderedDict form).
 */
export class Sequential extends Module implements Iterable<Module> {
  [index: number]: Module;

  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first && !isModule(first)) {
      for (const [name, m] of Object.entries(first as Record<string, Module>)) {
        if (!isModule(m)) throw new Error(`Sequential: '${name}' is not a Module`);
        this.registerModule(name, m);
      }
    } else {
      for (const m of modules as Module[]) this.append(m);
    }
  }

  get length(): number {
    return [...this.children()].length;
  }

  /** The i-th module in order; negative i counts from the end. */
  get(i: number): Module {
    const kids = [...this.children()];
    const j = i < 0 ? i + kids.length : i;
    if (!Number.isInteger(i) || j < 0 || j >= kids.length) throw new Error(`Sequential.get: index ${i} is out of range for ${kids.length} module(s)`);
    return kids[j];
  }

  append(m: Module): this {
    if (!isModule(m)) throw new Error(`Sequential.append: expected a Module, got ${m === null ? 'null' : typeof m}`);
    this.registerModule(String(this.length), m);
    return this;
  }

  *[Symbol.iterator](): Iterator<Module> {
    yield* this.children();
  }

  forward(x: any): any {
    for (const m of this.children()) x = m.forward(x);
    return x;
  }
}

/** Submodules by name (torch.nn.ModuleDict). Keys must not collide with Module's own properties. */
export class ModuleDict<M extends Module = Module> extends Module {
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    const entries = Symbol.iterator in modules ? modules as Iterable<[string, M]> : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  set(key: string, m: M): this {
    if (!isModule(m)) throw new Error(`ModuleDict.set: '${key}' is not a Module`);
    this.registerModule(key, m);
    return this;
  }

  get(key: string): M {
    const m = (this as any)[key];
    if (!isModule(m) || !Object.prototype.hasOwnProperty.call(this, key)) throw new Error(`ModuleDict.get: no module named '${key}'`);
    return m as M;
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this, key) && isModule((this as any)[key]);
  }

  keys(): string[] {
    return Array.from(this.namedChildren(), ([k]) => k);
  }

  values(): M[] {
    return Array.from(this.namedChildren(), ([, m]) => m as M);
  }

  entries(): [string, M][] {
    return Array.from(this.namedChildren(), ([k, m]) => [k, m as M]);
  }

  forward(..._args: unknown[]): never {
    throw new Error('ModuleDict: a ModuleDict has no forward(); call its modules');
  }
}
