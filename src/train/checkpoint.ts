// Training checkpoints: one safetensors file holding the model weights under their plain names (so the file loads
// into PyTorch's load_state_dict after dropping the '/'-prefixed keys), the optimizer's tensors under 'optimizer/…',
// and, in the metadata, everything else needed to continue bit-identically: step, epoch, RNG state, run config,
// optimizer scalars, scheduler and data-loader positions. Written atomically.
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
  loadStateDict(sd: Record<string, Tensor>, opts?: { strict?: boolean }): unknown;
}

export interface TrainingState {
  step: number;
  epoch: number;
  config?: unknown;
  /** Anything JSON-able the recipe wants back (loader position, best metric, …). */
  extra?: unknown;
}

const FORMAT = 'deepten-checkpoint/1';

function entries(sd: Record<string, Tensor> | Map<string, Tensor>): [string, Tensor][] {
  return sd instanceof Map ? [...sd.entries()] : Object.entries(sd);
}

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

function unpackState(value: unknown, tensors: Record<string, { shape: number[]; data: ArrayLike<number> & { slice(): any } }>, file: string): unknown {
  if (Array.isArray(value)) return value.map((v) => unpackState(v, tensors, file));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const ref = (o.$tensor ?? o.$array) as string | undefined;
    if (typeof ref === 'string') {
      const t = tensors[ref];
      if (!t) throw new Error(`checkpoint ${file}: state refers to tensor '${ref}', which the file does not contain`);
      return o.$tensor ? new Tensor(t.data.slice(), t.shape) : t.data.slice();
    }
    if (Array.isArray(o.$map)) return new Map((o.$map as [string, unknown][]).map(([k, v]) => [k, unpackState(v, tensors, file)]));
    if (typeof o.$number === 'string') return Number(o.$number);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unpackState(v, tensors, file)]));
  }
  return value;
}

/** Saves model weights (+ optimizer, scheduler, RNG and loop state) atomically to `path`. */
export function saveCheckpoint(path: string, parts: { model: ModuleLike; optimizer?: HasState; scheduler?: HasState }, state: TrainingState): void {
  const tensors: Record<string, TensorInput> = {};
  for (const [name, t] of entries(parts.model.stateDict())) {
    if (name.includes('/')) throw new Error(`saveCheckpoint: parameter name '${name}' contains '/', which checkpoints reserve`);
    tensors[name] = t;
  }
  const meta = {
    format: FORMAT,
    step: state.step,
    epoch: state.epoch,
    rng: defaultGenerator.getState(),
    config: state.config ?? null,
    extra: packState(state.extra ?? null, 'extra', tensors),
    optimizer: parts.optimizer ? packState(parts.optimizer.stateDict(), 'optimizer', tensors) : null,
    scheduler: parts.scheduler ? packState(parts.scheduler.stateDict(), 'scheduler', tensors) : null,
  };
  writeSafetensors(path, tensors, { deepten: JSON.stringify(meta) });
}

/** Reads just the weights of a checkpoint or a plain safetensors file, as a state dict of Tensors. */
export function loadWeights(path: string): Record<string, Tensor> {
  const f = readSafetensors(path);
  const sd: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(f.tensors)) {
    if (name.includes('/')) continue;
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array || t.data instanceof Int32Array)) {
      throw new Error(`checkpoint ${path}: tensor '${name}' has dtype ${t.dtype}, which deepten models do not use`);
    }
    sd[name] = new Tensor(t.data, t.shape);
  }
  return sd;
}

/**
 * Restores everything saveCheckpoint wrote into the given objects, and the default generator's state.
 * Weight names and shapes must match the model exactly (errors name the key and both shapes).
 */
export function loadCheckpoint(path: string, parts: { model: ModuleLike; optimizer?: HasState; scheduler?: HasState }): TrainingState {
  const f = readSafetensors(path);
  const raw = f.metadata.deepten;
  if (!raw) throw new Error(`checkpoint ${path}: no deepten training state in its metadata (a weights-only file? load it with loadWeights)`);
  let meta: any;
  try { meta = JSON.parse(raw); } catch { throw new Error(`checkpoint ${path}: its deepten metadata is not valid JSON`); }
  if (meta?.format !== FORMAT) throw new Error(`checkpoint ${path}: unknown format ${JSON.stringify(meta?.format)}, expected ${FORMAT}`);
  const weights = loadWeights(path);
  const own = new Map(entries(parts.model.stateDict()));
  for (const [k, t] of Object.entries(weights)) {
    const mine = own.get(k);
    if (mine && (mine.ndim !== t.ndim || mine.shape.some((d, i) => d !== t.shape[i]))) {
      throw new Error(`checkpoint ${path}: '${k}' has shape ${shapeStr(t.shape)} in the file but ${shapeStr(mine.shape)} in the model`);
    }
  }
  parts.model.loadStateDict(weights, { strict: true });
  const tensors = f.tensors as any;
  if (parts.optimizer) {
    if (!meta.optimizer) throw new Error(`checkpoint ${path}: holds no optimizer state`);
    parts.optimizer.loadStateDict(unpackState(meta.optimizer, tensors, path));
  }
  if (parts.scheduler && meta.scheduler) parts.scheduler.loadStateDict(unpackState(meta.scheduler, tensors, path));
  defaultGenerator.setState(meta.rng as RngState);
  return { step: meta.step, epoch: meta.epoch, config: meta.config, extra: unpackState(meta.extra, tensors, path) };
}
