// `deepten experiment <name>`: each reproduces one of the article's claims as a table and a PNG plot.
import type { FlagSpec } from '../cli/args.ts';

export interface Experiment {
  summary: string;
  flags: Record<string, FlagSpec>;
  run(flags: Record<string, string | number | boolean>): Promise<void>;
}

export const experiments: Record<string, Experiment> = {};
