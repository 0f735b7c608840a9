// A small argument parser: `--name value`, `--name=value`, boolean `--flag`, positionals.
export interface FlagSpec {
  type: 'string' | 'number' | 'boolean';
  help: string;
  default?: string | number | boolean;
}

export interface Parsed {
  positionals: string[];
  flags: Record<string, string | number | boolean>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): Parsed {
  const flags: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) { positionals.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (s.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    if (s.type === 'number') {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got '${raw}'`);
      flags[name] = v;
    } else flags[name] = raw;
  }
  for (const [name, s] of Object.entries(spec)) if (!(name in flags) && s.default !== undefined) flags[name] = s.default;
  return { positionals, flags };
}

export function formatFlags(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec).map(([name, s]) => {
    const left = `  --${name}${s.type === 'boolean' ? '' : ` <${s.type === 'number' ? 'N' : 'value'}>`}`;
    const def = s.default !== undefined ? ` (default ${s.default})` : '';
    return `${left.padEnd(28)}${s.help}${def}`;
  }).join('\n');
}
