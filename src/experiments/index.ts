// `deepten experiment <name>`: each reproduces one of the article's claims as a table and a PNG plot.
import type { FlagSpec } from '../util/flags.ts';
import { vanishingGradients } from './vanishing-gradients.ts';
import { resnetDegradation } from './resnet-degradation.ts';
import { paramsVsAccuracy } from './params-vs-accuracy.ts';
import { gcnScaling } from './gcn-scaling.ts';
import { lstmVsRnn } from './lstm-vs-rnn.ts';
import { lstmInit } from './lstm-init.ts';
import { word2vecWindow } from './word2vec-window.ts';
import { word2vecMap } from './word2vec-map.ts';
import { attentionCost } from './attention-cost.ts';
import { transformerWarmup } from './transformer-warmup.ts';

export interface Experiment {
  summary: string;
  flags: Record<string, FlagSpec>;
  run(flags: Record<string, string | number | boolean>): Promise<void>;
}

export const experiments: Record<string, Experiment> = {
  'vanishing-gradients': vanishingGradients,
  'resnet-degradation': resnetDegradation,
  'params-vs-accuracy': paramsVsAccuracy,
  'word2vec-window': word2vecWindow,
  'word2vec-map': word2vecMap,
  'gcn-scaling': gcnScaling,
  'lstm-vs-rnn': lstmVsRnn,
  'lstm-init': lstmInit,
  'attention-cost': attentionCost,
  'transformer-warmup': transformerWarmup,
};
