// What `deepten train <model>` needs from a model: its description, and a train function that reads the
// common options (the CLI only overrides a recipe's defaults; the defaults reach the README's number).
import type { Summary } from './run.ts';
import type { LoadedLanguageModel } from '../models/lm.ts';

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
  /** Threads, for recipes with a `threads` setting (word2vec's Hogwild threads). */
  threads?: number;
  /** Recipe-specific overrides, from --set key=value. */
  set?: Record<string, string>;
}

export interface EvalOptions {
  checkpoint: string;
  dataDir?: string;
  dataset?: string;
  /** Generative models: how many images to generate and judge (default 10,000). */
  samples?: number;
  /** Language models: evaluate on this text file instead of the dataset's test split. */
  text?: string;
}

/** A model deepten trains (or will): its name, its classic task and the published result its recipe aims for. */
export interface ModelInfo {
  name: string;
  title: string;
  task: string;
  reference: string;
}

export interface Recipe extends ModelInfo {
  /** Image generators judged by classifier-FID (train/generative.ts): `deepten eval` takes --samples. */
  generative?: boolean;
  train(opts: TrainOptions): Promise<Summary>;
  evaluate(opts: EvalOptions): Promise<Record<string, number>>;
  /**
   * Language models only: the trained model with its tokenizer, from a weights file or run directory, for
   * `deepten sample` (which finds the recipe by the run's model name and calls this). A recipe that has it makes
   * its model samplable; models/generate.ts does the rest.
   */
  languageModel?(opts: { checkpoint: string; dataDir?: string }): Promise<LoadedLanguageModel>;
}
