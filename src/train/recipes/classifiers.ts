// Recipes for the three image classifiers. Each default is the configuration behind the README's number.
import type { Recipe, ModelInfo } from '../recipe.ts';
import { trainClassifier, evaluateCheckpoint, type ClassifierConfig, type ClassifierSpec } from '../classify.ts';
import { MLP, mlpDefaults, activations, mlpInits } from '../../models/mlp.ts';
import { LeNet5, lenetDefaults, lenetActivations, lenetPools } from '../../models/lenet.ts';
import { ResNet, resnetDefaults, resnetShortcuts } from '../../models/resnet.ts';

const base: ClassifierConfig = {
  dataset: 'mnist', epochs: 10, batchSize: 128, optimizer: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false,
  weightDecay: 0, schedule: 'cosine', milestones: [], warmupEpochs: 0, cropPadding: 0, flip: false, labelSmoothing: 0,
  mean: [], std: [], seed: 1, trainLimit: 0, testLimit: 0, maxSteps: 0, prefetch: 2, model: {},
};

export const mlpSpec: ClassifierSpec = {
  name: 'mlp',
  // 784-800-10 with ReLU, SGD + momentum and a cosine schedule
  defaults: { ...base, epochs: 20, lr: 0.05, weightDecay: 1e-4, model: { ...mlpDefaults } },
  build: (m) => new MLP(m),
  datasets: ['mnist', 'fashion-mnist'],
  checkInput: (m, [c, h, w]) => (c * h * w === m.inputSize ? null : `the MLP takes ${m.inputSize} inputs per image`),
  choices: { 'model.activation': activations, 'model.init': mlpInits },
};

export const lenetSpec: ClassifierSpec = {
  name: 'lenet',
  defaults: { ...base, epochs: 15, lr: 0.05, weightDecay: 5e-4, model: { ...lenetDefaults } },
  build: (m, inChannels) => new LeNet5({ ...m, inChannels }),
  datasets: ['mnist', 'fashion-mnist'],
  // C5 is a 5×5 convolution over the 5×5 map that a 28×28 image leaves (padded to the paper's 32×32)
  checkInput: (_m, [, h, w]) => (h === 28 && w === 28 ? null : 'LeNet-5 takes 28×28 images'),
  choices: { 'model.activation': lenetActivations, 'model.pool': lenetPools },
};

export const resnetSpec: ClassifierSpec = {
  name: 'resnet',
  // ResNet-20 (He et al. 2016 CIFAR recipe at smaller scale): SGD 0.1, momentum 0.9, wd 5e-4, crop + flip, cosine
  defaults: { ...base, dataset: 'fashion-mnist', epochs: 30, lr: 0.1, weightDecay: 5e-4, cropPadding: 2, flip: true, model: { ...resnetDefaults } },
  build: (m, inChannels) => new ResNet({ ...m, inChannels }),
  // 28×28 grayscale or 32×32 RGB: global average pooling makes the head independent of the image size
  datasets: ['fashion-mnist', 'mnist', 'cifar10'],
  choices: { 'model.shortcut': resnetShortcuts },
};

function recipe(spec: ClassifierSpec, info: Omit<ModelInfo, 'name'>): Recipe {
  return { name: spec.name, ...info, train: (o) => trainClassifier(spec, o), evaluate: (o) => evaluateCheckpoint(spec, o) };
}

export const mlp = recipe(mlpSpec, { title: 'DNN / multi-layer perceptron', task: 'MNIST digits', reference: '98.4% test accuracy (LeCun et al. 1998 table: 800 hidden, cross-entropy)' });
export const lenet = recipe(lenetSpec, { title: 'CNN: LeNet-5', task: 'MNIST digits', reference: '99.05% test accuracy (LeCun et al. 1998)' });
export const resnet = recipe(resnetSpec, { title: 'ResNet-20 (CIFAR-style)', task: 'Fashion-MNIST', reference: '94.9% (ResNet18 + augmentation, Fashion-MNIST benchmark table)' });
