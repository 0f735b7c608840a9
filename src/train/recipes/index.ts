// The one registry: every model deepten trains or will train, in the article's order, with its recipe when it has
// one. `deepten list` prints it; `deepten train/eval <name>` look recipes up here.
import type { ModelInfo, Recipe } from '../recipe.ts';
import { mlp, lenet, resnet } from './classifiers.ts';
import { gcn, gae } from './graph.ts';
import { dqn } from './dqn.ts';
import { ddpm } from './ddpm.ts';

export const recipes: Record<string, Recipe> = { mlp, lenet, resnet, gcn, gae, dqn, ddpm };

/** Models of the ten whose recipes are not written yet. */
const planned: ModelInfo[] = [
  { name: 'lstm', title: 'LSTM language model', task: 'Penn Treebank words; Tiny Shakespeare chars', reference: 'test perplexity 114.5 (Zaremba et al. 2014, small)' },
  { name: 'word2vec', title: 'Word2Vec (skip-gram / CBOW)', task: 'English corpus + Google analogies', reference: 'gensim / the C tool on the same corpus' },
  { name: 'transformer', title: 'Transformer encoder-decoder', task: 'Multi30k de→en translation', reference: 'BLEU 36.5 (3+3 layers, d 256)' },
  { name: 'dcgan', title: 'GAN (DCGAN)', task: 'MNIST digits, judged by classifier-FID', reference: 'FID 54.5 after 25 epochs (PyTorch, same recipe)' },
  { name: 'ddpm', title: 'Diffusion (DDPM, U-Net)', task: 'MNIST digits, judged by classifier-FID', reference: 'FID 10.9 after 10k steps (PyTorch, same recipe)' },
];

export type ModelStatus = 'trained' | 'planned';

/** The article's order: DNN, CNN, ResNet, LSTM, Word2Vec, Transformer, GAN, diffusion, GNN (+ GAE), DQN. */
const ORDER = ['mlp', 'lenet', 'resnet', 'lstm', 'word2vec', 'transformer', 'gpt', 'dcgan', 'ddpm', 'gcn', 'gae', 'dqn'];

/** Every model, with its status: 'trained' when it has a recipe. */
export function models(): (ModelInfo & { status: ModelStatus })[] {
  const all: (ModelInfo & { status: ModelStatus })[] = [
    ...Object.values(recipes).map(({ name, title, task, reference }) => ({ name, title, task, reference, status: 'trained' as const })),
    ...planned.filter((p) => !recipes[p.name]).map((p) => ({ ...p, status: 'planned' as const })),
  ];
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return all.sort((a, b) => rank(a.name) - rank(b.name));
}
