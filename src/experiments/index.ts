// `deepten experiment <name>`: each reproduces one of the article's claims as a table and a PNG plot.
import type { FlagSpec } from '../util/flags.ts';
import { vanishingGradients } from './vanishing-gradients.ts';
import { resnetDegradation } from './resnet-degradation.ts';
import { paramsVsAccuracy } from './params-vs-accuracy.ts';
import { gcnScaling } from './gcn-scaling.ts';

export interface Experiment {
  summary: string;
  flags: Record<string, FlagSpec>;
  run(flags: Record<string, string | number | boolean>): Promise<void>;
}

export const experiments: Record<string, Experiment> = {
  'vanishing-gradients': vanishingGradients,
  'resnet-degradation': resnetDegradation,
  'params-vs-accuracy': paramsVsAccuracy,
  'gcn-scaling': gcnScaling,
};
