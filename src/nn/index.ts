// torch.nn's counterpart: Module and its containers, layers, and init.
export { Module, Parameter, parameter, type StateDict, type LoadResult } from './module.ts';
export { Sequential, ModuleList, ModuleDict } from './container.ts';
export * as init from './init.ts';
export type { FactoryOptions } from './util.ts';
export { Linear, Identity, Flatten, type LinearOptions } from './linear.ts';
export { Conv2d, ConvTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions } from './conv.ts';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, type BatchNormOptions, type LayerNormOptions, type GroupNormOptions } from './norm.ts';
export { Embedding, Dropout, type EmbeddingOptions } from './embedding.ts';
export { ReLU, LeakyReLU, ELU, GELU, SiLU, Tanh, Sigmoid, Softplus, Softmax, LogSoftmax } from './activation.ts';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Upsample } from './pool.ts';
export { LSTM, LSTMCell, lstmRecurrence, type LSTMOptions, type LSTMState } from './rnn.ts';
export { MultiheadAttention, type MultiheadAttentionOptions, type AttentionForwardOptions } from './attention.ts';
