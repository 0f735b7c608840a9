// Applies the CLI's common flags and --set key=value overrides onto a recipe's default config (or a resumed run's
// saved one), refusing keys the config does not have, values of the wrong type, out-of-range numbers and unknown
// choices — before any run starts. Whatever was not set here (a recipe's defaults, a saved config) passes the same
// checks afterwards, so a hand-edited config.json or a recipe default outside its choices is refused too.
import type { TrainOptions } from './recipe.ts';

export interface OverrideSchema {
  /** The allowed values of a string setting, by its dotted path: { optimizer: ['sgd', 'adam'], 'model.activation': … }. */
  choices?: Record<string, readonly string[]>;
}

/** The common flags and the config key each sets. */
const flagKeys: [keyof TrainOptions, string, string][] = [
  ['epochs', 'epochs', '--epochs'], ['maxSteps', 'maxSteps', '--max-steps'], ['batchSize', 'batchSize', '--batch-size'],
  ['lr', 'lr', '--lr'], ['seed', 'seed', '--seed'], ['dataset', 'dataset', '--dataset'],
];

/** Ranges of the numeric settings every recipe names the same way, however they are set. */
const ranges: Record<string, [(v: number) => boolean, string]> = {
  epochs: [(v) => Number.isInteger(v) && v > 0, 'a positive integer'],
  maxSteps: [(v) => Number.isInteger(v) && v >= 0, 'a non-negative integer (0 = no limit)'],
  batchSize: [(v) => Number.isInteger(v) && v > 0, 'a positive integer'],
  lr: [(v) => Number.isFinite(v) && v > 0, 'positive and finite'],
  seed: [(v) => Number.isInteger(v), 'an integer'],
  seeds: [(v) => Number.isInteger(v) && v > 0, 'a positive integer'],
};

/** Keys that would lead out of the config into Object.prototype and friends. */
const forbidden = new Set(['__proto__', 'constructor', 'prototype']);

/** `what` says where the value came from ('--set lr=0'), or is empty for a value already in the config. */
function checkValue(path: string, v: unknown, schema: OverrideSchema, what: string): void {
  const from = what ? `${what}: ` : '';
  const range = ranges[path];
  if (range && typeof v === 'number' && !range[0](v)) throw new Error(`${from}${path} must be ${range[1]}, got ${v}`);
  const choices = schema.choices?.[path];
  if (choices && !choices.includes(String(v))) throw new Error(`${from}${path}: unknown value '${v}'; one of ${choices.join(', ')}`);
}

/** The value at a dotted path, through own properties only. */
function valueAt(cfg: object, path: string): unknown {
  let v: unknown = cfg;
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export function applyOverrides<C extends object>(cfg: C, opts: TrainOptions, schema: OverrideSchema = {}): C {
  const c = cfg as Record<string, unknown>;
  for (const [opt, key, flag] of flagKeys) {
    const v = opts[opt];
    if (v === undefined) continue;
    if (!Object.hasOwn(c, key)) throw new Error(`${flag}: this model's recipe has no '${key}' setting`);
    checkValue(key, v, schema, `${flag} ${v}`);
    c[key] = v;
  }
  for (const [path, raw] of Object.entries(opts.set ?? {})) {
    const what = `--set ${path}=${raw}`;
    const keys = path.split('.');
    for (const k of keys) {
      if (k === '') throw new Error(`${what}: empty setting name in '${path}'`);
      if (forbidden.has(k)) throw new Error(`${what}: '${k}' is not a setting`);
    }
    let target: Record<string, unknown> = c;
    for (const k of keys.slice(0, -1)) {
      const next = Object.hasOwn(target, k) ? target[k] : undefined;
      if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new Error(`${what}: no setting '${k}'`);
      target = next as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (!Object.hasOwn(target, last)) throw new Error(`${what}: no such setting (known: ${Object.keys(target).join(', ')})`);
    const cur = target[last];
    let v: unknown;
    if (typeof cur === 'number') {
      v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new Error(`${what}: expected a number, got '${raw}'`);
    } else if (typeof cur === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new Error(`${what}: expected true or false, got '${raw}'`);
      v = raw === 'true';
    } else if (Array.isArray(cur)) {
      v = raw.split('/').map((s) => { const x = Number(s); if (s.trim() === '' || !Number.isFinite(x)) throw new Error(`${what}: expected numbers separated by '/', got '${raw}'`); return x; });
    } else if (typeof cur === 'object' && cur !== null) {
      throw new Error(`${what}: '${path}' is a group of settings (known: ${Object.keys(cur).join(', ')})`);
    } else v = raw;
    checkValue(path, v, schema, what);
    target[last] = v;
  }
  // the values not set above: the recipe's defaults, or a resumed run's saved settings
  for (const path of new Set([...Object.keys(ranges), ...Object.keys(schema.choices ?? {})])) {
    const v = valueAt(cfg, path);
    if (v !== undefined) checkValue(path, v, schema, '');
  }
  return cfg;
}
