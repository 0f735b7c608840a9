// The ten models deepten trains, their classic task and the published result each recipe aims for.
export interface CatalogEntry {
  name: string;
  title: string;
  task: string;
  reference: string;
}

export const catalog: CatalogEntry[] = [
  { name: 'mlp', title: 'DNN / multi-layer perceptron', task: 'MNIST digits', reference: '98.4% test accuracy (LeCun et al. 1998 table: 800 hidden, cross-entropy)' },
  { name: 'lenet', title: 'CNN: LeNet-5', task: 'MNIST digits', reference: '99.05% test accuracy (LeCun et al. 1998)' },
  { name: 'resnet', title: 'ResNet-20 (CIFAR-style)', task: 'Fashion-MNIST', reference: '94.9% (ResNet18 + augmentation, Fashion-MNIST benchmark table)' },
  { name: 'lstm', title: 'LSTM language model', task: 'Penn Treebank words; Tiny Shakespeare chars', reference: 'test perplexity 114.5 (Zaremba et al. 2014, small)' },
  { name: 'word2vec', title: 'Word2Vec (skip-gram / CBOW, negative sampling)', task: 'text8-style corpus + Google analogies', reference: "the original C tool's analogy accuracy on the same corpus" },
  { name: 'transformer', title: 'Transformer encoder-decoder', task: 'Multi30k de→en translation', reference: 'BLEU 36.5 (3+3 layers, d=256)' },
  { name: 'dcgan', title: 'GAN (DCGAN)', task: 'MNIST / Fashion-MNIST images', reference: 'samples judged by a trained classifier (FID, class coverage)' },
  { name: 'ddpm', title: 'Diffusion (DDPM, U-Net)', task: 'MNIST / Fashion-MNIST images', reference: 'same judge, better than the GAN' },
  { name: 'gcn', title: 'GNN: GCN (+ GAE link prediction)', task: 'Cora node classification; link prediction', reference: '81.5% (Kipf & Welling 2017); GAE AUC 0.91' },
  { name: 'dqn', title: 'DQN (Double DQN, Huber loss)', task: 'CartPole-v1', reference: 'mean return ≥ 475, solved within 5e4 steps' },
];
