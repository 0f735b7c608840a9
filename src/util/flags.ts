// Command-line flags, shared by the CLI and the experiments (which declare their own flags): `--name value`,
// `--name=value`, boolean `--flag`, and the positionals a command declares. Strict, so that a typo is an error
// rather than a silently different run: unknown options, single-dash options, repeated flags and extra
// positionals are refused. This module imports nothing from src/.

export interface FlagSpec {
  type: 'string' | 'number' | 'boolean';
  help: string;
  default?: string | number | boolean;
  /** A string flag that may be given more than once; its values are joined with ',' (--set a=1 --set b=2). */
  repeatable?: boolean;
}

export type Flags = Record<string, string | number | boolean>;

export interface Parsed {
  positionals: string[];
  flags: Flags;
}

export interface ParseOptions {
  /** Names of the positionals the command takes, e.g. ['model']; any beyond them is refused. Default: none. */
  positionals?: string[];
  /** The command, to name it in errors ('train'). */
  command?: string;
}

/** A mistake in the command line: the CLI prints its message and exits with status 2. */
export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>, opts: ParseOptions = {}): Parsed {
  const flags: Flags = {};
  const positionals: string[] = [];
  const allowed = opts.positionals ?? [];
  const who = opts.command ? `${opts.command}: ` : '';
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '-h' && spec.help) arg = '--help';
    if (!arg.startsWith('--')) {
      if (arg.length > 1 && arg.startsWith('-')) {
        const name = arg.slice(1).split('=')[0];
        throw new UsageError(`${who}options take two dashes: '${arg}'${spec[name] ? `; did you mean --${name}?` : ''}`);
      }
      if (positionals.length >= allowed.length) {
        const takes = allowed.length ? `takes ${allowed.map((p) => `<${p}>`).join(' ')}` : 'takes no arguments';
        throw new UsageError(`${who}unexpected argument '${arg}' (${opts.command ?? 'this command'} ${takes}; options start with --)`);
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!s) throw new UsageError(`${who}unknown option --${name}`);
    if (Object.hasOwn(flags, name) && !s.repeatable) throw new UsageError(`${who}--${name} is given twice`);
    if (s.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`${who}--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`${who}--${name} needs a value`);
    // a value that is an option is a forgotten value (--out --epochs 3); negative numbers (--seed -1) are values
    if (eq < 0 && raw.startsWith('--')) throw new UsageError(`${who}--${name} needs a value, got the option '${raw}'`);
    if (s.type === 'number') {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${who}--${name} must be a number, got '${raw}'`);
      flags[name] = v;
    } else flags[name] = Object.hasOwn(flags, name) ? `${flags[name]},${raw}` : raw;
  }
  for (const [name, s] of Object.entries(spec)) if (!Object.hasOwn(flags, name) && s.default !== undefined) flags[name] = s.default;
  return { positionals, flags };
}

/**
 * `key=value,key=value` (as one --set, or several merged by parseArgs) → a map with no prototype. The same key
 * twice is refused: which one would win is not obvious.
 */
export function parseSettings(flag: string, s: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const kv of s.split(',').filter((p) => p.trim() !== '')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} expects key=value pairs, got '${kv}'`);
    const key = kv.slice(0, eq).trim();
    if (Object.hasOwn(out, key)) throw new UsageError(`--${flag} sets '${key}' twice ('${out[key]}' and '${kv.slice(eq + 1).trim()}')`);
    out[key] = kv.slice(eq + 1).trim();
  }
  return out;
}

export function formatFlags(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec).map(([name, s]) => {
    const left = `  --${name}${s.type === 'boolean' ? '' : ` <${s.type === 'number' ? 'N' : 'value'}>`}`;
    const def = s.default !== undefined ? ` (default ${s.default})` : '';
    return `${left.padEnd(28)}${s.help}${def}${s.repeatable ? ' (may be repeated)' : ''}`;
  }).join('\n');
}
