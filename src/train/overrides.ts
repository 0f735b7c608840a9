// Applies the CLI's common flags and --set key=value overrides onto a recipe's default config, refusing keys the
// config does not have and values of the wrong type.
import type { TrainOptions } from './recipe.ts';

export interface OverrideSchema {
  /** Allowed values of enum settings, by dotted path ('optimizer', 'model.activation'). */
  choices?: Record<string, readonly string[]>;
}

export function applyOverrides<C extends object>(cfg: C, opts: TrainOptions, schema: OverrideSchema = {}): C {
  const c = cfg as Record<string, unknown>;
  const common: [keyof TrainOptions, string][] = [['epochs', 'epochs'], ['maxSteps', 'maxSteps'], ['batchSize', 'batchSize'], ['lr', 'lr'], ['seed', 'seed'], ['dataset', 'dataset']];
  for (const [opt, key] of common) {
    if (opts[opt] === undefined) continue;
    if (!(key in c)) throw new Error(`--${opt}: this model's recipe has no '${key}' setting`);
    c[key] = opts[opt];
  }
  for (const [path, raw] of Object.entries(opts.set ?? {})) {
    const keys = path.split('.');
    let target: Record<string, unknown> = c;
    for (const k of keys.slice(0, -1)) {
      if (typeof target[k] !== 'object' || target[k] === null) throw new Error(`--set ${path}: no setting '${k}'`);
      target = target[k] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (!(last in target)) throw new Error(`--set ${path}: no such setting (known: ${Object.keys(target).join(', ')})`);
    const cur = target[last];
    if (typeof cur === 'number') {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new Error(`--set ${path}: expected a number, got '${raw}'`);
      target[last] = v;
    } else if (typeof cur === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new Error(`--set ${path}: expected true or false, got '${raw}'`);
      target[last] = raw === 'true';
    } else if (Array.isArray(cur)) {
      target[last] = raw.split('/').map((s) => { const v = Number(s); if (!Number.isFinite(v)) throw new Error(`--set ${path}: expected numbers separated by '/', got '${raw}'`); return v; });
    } else target[last] = raw;
  }
  for (const [path, allowed] of Object.entries(schema.choices ?? {})) {
    let v: unknown = c;
    for (const k of path.split('.')) v = v && typeof v === 'object' && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
    if (v !== undefined && !allowed.includes(String(v))) throw new Error(`${path}: unknown value '${String(v)}'; one of ${allowed.join(', ')}`);
  }
  return cfg;
}
