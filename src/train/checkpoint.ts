// Training checkpoints: one safetensors file holding
//   - the weights of each module: the main one (key '') under its plain names, so the file loads into PyTorch's
//     load_state_dict after dropping the '/'-prefixed keys; others (a GAN's discriminator, an EMA copy) under
//     '<key>.<name>';
//   - each optimizer's and scheduler's tensors under 'optimizer/…' ('optimizer:<key>/…' for named ones);
//   - in the metadata, everything else needed to continue bit-identically: step, epoch, the default generator's
//     state, the run config, optimizer and scheduler scalars, and the recipe's own loop state (`extra`).
// Written atomically. Reading validates every field it uses, so a foreign or hand-edited file gives an error
// naming the file and the field, never a crash or a polluted object.
import { readSafetensors, writeSafetensors, type TensorInput } from '../io/safetensors.ts';
import { Tensor } from '../tensor.ts';
import { defaultGenerator, type RngState } from '../random.ts';
import { shapeStr } from '../backend/types.ts';

export interface HasState {
  stateDict(): unknown;
  loadStateDict(sd: any, opts?: any): unknown;
}

export interface ModuleLike {
  stateDict(): Record<string, Tensor> | Map<string, Tensor>;
  loadStateDict(sd: Record<string, Tensor> | Map<string, Tensor>, opts?: { strict?: boolean }): unknown;
  parameters?(): Tensor[];
}

/** What a checkpoint holds, by key; the key '' is the main model / optimizer / scheduler. */
export interface CheckpointParts {
  modules: Record<string, ModuleLike>;
  optimizers?: Record<string, HasState>;
  schedulers?: Record<string, HasState>;
}

/** The one-model shorthand. */
export interface SimpleParts {
  model: ModuleLike;
  optimizer?: HasState;
  scheduler?: HasState;
}

export interface TrainingState {
  step: number;
  epoch: number;
  config?: unknown;
  /** Anything JSON-able the recipe wants back (loader position, best metric, …); typed arrays and Tensors allowed. */
  extra?: unknown;
}

const FORMAT = 'deepten-checkpoint/2';
const FORMAT_V1 = 'deepten-checkpoint/1';

function normalize(parts: CheckpointParts | SimpleParts): CheckpointParts {
  if ('modules' in parts) return parts;
  return {
    modules: { '': parts.model },
    optimizers: parts.optimizer ? { '': parts.optimizer } : undefined,
    schedulers: parts.scheduler ? { '': parts.scheduler } : undefined,
  };
}

function entries(sd: Record<string, Tensor> | Map<string, Tensor>): [string, Tensor][] {
  return sd instanceof Map ? [...sd.entries()] : Object.entries(sd);
}

const weightName = (key: string, name: string) => (key ? `${key}.${name}` : name);
const statePrefix = (kind: 'optimizer' | 'scheduler', key: string) => (key ? `${kind}:${key}` : kind);

/** Replaces typed arrays and Tensors inside a JSON-like value by references to named tensors. */
function packState(value: unknown, prefix: string, tensors: Record<string, TensorInput>): unknown {
  if (value instanceof Tensor) { tensors[prefix] = value; return { $tensor: prefix }; }
  if (value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array) {
    const dtype = value instanceof Float32Array ? 'float32' : value instanceof Float64Array ? 'float64' : 'int32';
    tensors[prefix] = { dtype, shape: [value.length], data: value };
    return { $array: prefix };
  }
  if (Array.isArray(value)) return value.map((v, i) => packState(v, `${prefix}/${i}`, tensors));
  if (value instanceof Map) return { $map: [...value.entries()].map(([k, v], i) => [k, packState(v, `${prefix}/${i}`, tensors)]) };
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, packState(v, `${prefix}/${k}`, tensors)]));
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  return value;
}

type StoredTensor = { shape: number[]; data: ArrayLike<number> & { slice(): any } };
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** The inverse of packState; `where` names the field for errors (e.g. "extra.loader"). */
function unpackState(value: unknown, tensors: Record<string, StoredTensor>, file: string, where: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unpackState(v, tensors, file, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('$tensor' in o || '$array' in o) {
      const ref = o.$tensor ?? o.$array;
      if (typeof ref !== 'string' || !Object.hasOwn(tensors, ref)) {
        throw new Error(`checkpoint ${file}: ${where} refers to tensor ${JSON.stringify(ref)}, which the file does not contain`);
      }
      const t = tensors[ref];
      return '$tensor' in o ? new Tensor(t.data.slice(), t.shape) : t.data.slice();
    }
    if ('$map' in o) {
      if (!Array.isArray(o.$map) || !o.$map.every((e) => Array.isArray(e) && e.length === 2)) throw new Error(`checkpoint ${file}: ${where}: malformed $map`);
      return new Map((o.$map as [unknown, unknown][]).map(([k, v]) => [k, unpackState(v, tensors, file, `${where}.${String(k)}`)]));
    }
    if ('$number' in o) {
      const n = Number(o.$number);
      if (typeof o.$number !== 'string' || !(Number.isNaN(n) || !Number.isFinite(n))) throw new Error(`checkpoint ${file}: ${where}: malformed $number`);
      return n;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (FORBIDDEN.has(k)) throw new Error(`checkpoint ${file}: ${where} has a key named '${k}', which is not allowed`);
      out[k] = unpackState(v, tensors, file, where ? `${where}.${k}` : k);
    }
    return out;
  }
  return value;
}

/** Throws unless every parameter of every module is finite: a diverged model is never saved. */
export function checkFinite(parts: CheckpointParts, what: string): void {
  for (const [key, m] of Object.entries(parts.modules)) {
    for (const [name, t] of entries(m.stateDict())) {
      if (t.dtype === 'int32') continue;
      const d = t.data;
      for (let i = 0; i < d.length; i++) {
        if (!Number.isFinite(d[i])) throw new Error(`${what}: '${weightName(key, name)}' holds ${d[i]}; not saving a diverged model`);
      }
    }
  }
}

/** Saves model weights (+ optimizers, schedulers, RNG and loop state) atomically to `path`. */
export function saveCheckpoint(path: string, partsIn: CheckpointParts | SimpleParts, state: TrainingState): void {
  const parts = normalize(partsIn);
  const tensors: Record<string, TensorInput> = {};
  for (const [key, m] of Object.entries(parts.modules)) {
    for (const [name, t] of entries(m.stateDict())) {
      if (name.includes('/')) throw new Error(`saveCheckpoint: parameter name '${name}' contains '/', which checkpoints reserve`);
      tensors[weightName(key, name)] = t;
    }
  }
  const packAll = (kind: 'optimizer' | 'scheduler', objs: Record<string, HasState> = {}) =>
    Object.fromEntries(Object.entries(objs).map(([k, o]) => [k, packState(o.stateDict(), statePrefix(kind, k), tensors)]));
  const meta = {
    format: FORMAT,
    step: state.step,
    epoch: state.epoch,
    rng: defaultGenerator.getState(),
    config: state.config ?? null,
    modules: Object.keys(parts.modules),
    optimizers: packAll('optimizer', parts.optimizers),
    schedulers: packAll('scheduler', parts.schedulers),
    extra: packState(state.extra ?? null, 'extra', tensors),
  };
  writeSafetensors(path, tensors, { deepten: JSON.stringify(meta) });
}

/**
 * Reads just the weights of a checkpoint or a plain safetensors file, as a state dict of Tensors: by default the
 * main module's (names without '/'), or with `prefix` the module saved under that key (its names, prefix removed).
 */
export function loadWeights(path: string, prefix = ''): Record<string, Tensor> {
  const f = readSafetensors(path);
  const sd: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(f.tensors)) {
    if (name.includes('/') || name.includes(':')) continue;
    if (prefix && !name.startsWith(prefix + '.')) continue;
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array || t.data instanceof Int32Array)) {
      throw new Error(`checkpoint ${path}: tensor '${name}' has dtype ${t.dtype}, which deepten models do not use`);
    }
    sd[prefix ? name.slice(prefix.length + 1) : name] = new Tensor(t.data, t.shape);
  }
  return sd;
}

interface Meta {
  step: number;
  epoch: number;
  rng: RngState;
  config: unknown;
  modules: string[];
  optimizers: Record<string, unknown>;
  schedulers: Record<string, unknown>;
  extra: unknown;
}

/** The checkpoint's metadata, checked field by field (errors name the file and the field). */
export function readCheckpointMeta(path: string, raw: string | undefined): Meta {
  if (!raw) throw new Error(`checkpoint ${path}: no deepten training state in its metadata (a weights-only file? load it with loadWeights)`);
  let m: any;
  try { m = JSON.parse(raw); } catch { throw new Error(`checkpoint ${path}: its deepten metadata is not valid JSON`); }
  if (!m || typeof m !== 'object') throw new Error(`checkpoint ${path}: its deepten metadata is not an object`);
  if (m.format !== FORMAT && m.format !== FORMAT_V1) throw new Error(`checkpoint ${path}: unknown format ${JSON.stringify(m.format)}, expected ${FORMAT}`);
  const bad = (field: string, want: string) => new Error(`checkpoint ${path}: field '${field}' is ${JSON.stringify(m[field])}, expected ${want}`);
  if (!Number.isSafeInteger(m.step) || m.step < 0) throw bad('step', 'a non-negative integer');
  if (typeof m.epoch !== 'number' || !Number.isFinite(m.epoch) || m.epoch < 0) throw bad('epoch', 'a non-negative number');
  const r = m.rng;
  if (!r || !Array.isArray(r.s) || r.s.length !== 4 || !r.s.every((v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32) ||
    !(r.spare === null || r.spare === undefined || typeof r.spare === 'number')) throw bad('rng', '{s: four uint32 words, spare: number or null}');
  const objectOf = (field: string, v: unknown) => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw bad(field, 'an object');
    return v as Record<string, unknown>;
  };
  if (m.format === FORMAT_V1) {
    return { step: m.step, epoch: m.epoch, rng: r, config: m.config, modules: [''], extra: m.extra,
      optimizers: m.optimizer ? { '': m.optimizer } : {}, schedulers: m.scheduler ? { '': m.scheduler } : {} };
  }
  if (!Array.isArray(m.modules) || !m.modules.every((k: unknown) => typeof k === 'string')) throw bad('modules', 'a list of module keys');
  return { step: m.step, epoch: m.epoch, rng: r, config: m.config, modules: m.modules, extra: m.extra,
    optimizers: objectOf('optimizers', m.optimizers), schedulers: objectOf('schedulers', m.schedulers) };
}

/**
 * Restores everything saveCheckpoint wrote into the given objects, and the default generator's state.
 * Weight names and shapes must match the modules exactly (errors name the key and both shapes).
 */
export function loadCheckpoint(path: string, partsIn: CheckpointParts | SimpleParts): TrainingState {
  const parts = normalize(partsIn);
  const f = readSafetensors(path);
  const meta = readCheckpointMeta(path, f.metadata.deepten);
  const tensors = f.tensors as unknown as Record<string, StoredTensor>;
  const others = Object.keys(parts.modules).filter((k) => k);
  for (const [key, module] of Object.entries(parts.modules)) {
    if (!meta.modules.includes(key)) throw new Error(`checkpoint ${path}: holds no weights for module '${key || 'model'}' (it has ${meta.modules.map((k) => `'${k || 'model'}'`).join(', ')})`);
    let weights = loadWeights(path, key);
    // the main module's names are the ones no other module's prefix claims
    if (!key) weights = Object.fromEntries(Object.entries(weights).filter(([n]) => !others.some((o) => n.startsWith(o + '.'))));
    const own = new Map(entries(module.stateDict()));
    for (const [k, t] of Object.entries(weights)) {
      const mine = own.get(k);
      if (mine && (mine.ndim !== t.ndim || mine.shape.some((d, i) => d !== t.shape[i]))) {
        throw new Error(`checkpoint ${path}: '${weightName(key, k)}' has shape ${shapeStr(t.shape)} in the file but ${shapeStr(mine.shape)} in the model`);
      }
    }
    try {
      module.loadStateDict(new Map(Object.entries(weights)), { strict: true });
    } catch (e) {
      throw new Error(`checkpoint ${path}: ${key ? `module '${key}': ` : ''}${(e as Error).message}`);
    }
  }
  const restore = (kind: 'optimizer' | 'scheduler', objs: Record<string, HasState> = {}, stored: Record<string, unknown>) => {
    for (const [k, o] of Object.entries(objs)) {
      const field = `${kind}s${k ? `.${k}` : ''}`;
      if (!Object.hasOwn(stored, k)) throw new Error(`checkpoint ${path}: holds no ${kind} state${k ? ` for '${k}'` : ''}`);
      try {
        o.loadStateDict(unpackState(stored[k], tensors, path, field));
      } catch (e) {
        const msg = (e as Error).message;
        throw new Error(msg.startsWith(`checkpoint ${path}`) ? msg : `checkpoint ${path}: ${field}: ${msg}`);
      }
    }
  };
  restore('optimizer', parts.optimizers, meta.optimizers);
  restore('scheduler', parts.schedulers, meta.schedulers);
  defaultGenerator.setState(meta.rng);
  return { step: meta.step, epoch: meta.epoch, config: meta.config, extra: unpackState(meta.extra, tensors, path, 'extra') };
}
