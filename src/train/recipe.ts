// What `deepten train <model>` needs from a model: its description, and a train function that reads the
// common options (the CLI only overrides a recipe's defaults; the defaults reach the README's number).
import type { Summary } from './run.ts';

export interface TrainOptions {
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  out?: string;
  dataDir?: string;
  resume?: string;
  /** Replace the run already in `out`. */
  overwrite?: boolean;
  /** Checkpoint every this many steps (0 = only at epoch ends, on signals and at the end) … */
  checkpointEvery?: number;
  /** … and at least every this many minutes (default 10). */
  checkpointMinutes?: number;
  dataset?: string;
  /** Recipe-specific overrides, from --set key=value. */
  set?: Record<string, string>;
}

export interface EvalOptions {
  checkpoint: string;
  dataDir?: string;
  dataset?: string;
}

/** A model deepten trains (or will): its name, its classic task and the published result its recipe aims for. */
export interface ModelInfo {
  name: string;
  title: string;
  task: string;
  reference: string;
}

export interface Recipe extends ModelInfo {
  train(opts: TrainOptions): Promise<Summary>;
  evaluate(opts: EvalOptions): Promise<Record<string, number>>;
}
