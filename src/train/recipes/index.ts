// The one registry: every model deepten trains, in the article's order. `deepten list` prints it;
// `deepten train/eval <name>` look recipes up here.
import type { ModelInfo, Recipe } from '../recipe.ts';
import { mlp, lenet, resnet } from './classifiers.ts';
import { gcn, gae } from './graph.ts';
import { dqn } from './dqn.ts';
import { lstm } from './lstm.ts';
import { word2vec } from './word2vec.ts';
import { transformer } from './transformer.ts';
import { gpt } from './gpt.ts';
import { dcgan } from './dcgan.ts';
import { ddpm } from './ddpm.ts';

export const recipes: Record<string, Recipe> = { mlp, lenet, resnet, lstm, word2vec, transformer, gpt, dcgan, ddpm, gcn, gae, dqn };

/** The article's order: DNN, CNN, ResNet, LSTM, Word2Vec, Transformer, GAN, diffusion, GNN (+ GAE), DQN. */
const ORDER = ['mlp', 'lenet', 'resnet', 'lstm', 'word2vec', 'transformer', 'gpt', 'dcgan', 'ddpm', 'gcn', 'gae', 'dqn'];

/** Every model with its task and reference result, in the article's order. */
export function models(): ModelInfo[] {
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return Object.values(recipes).map(({ name, title, task, reference }) => ({ name, title, task, reference }))
    .sort((a, b) => rank(a.name) - rank(b.name));
}
