// Datasets, data loading, transforms and tokenizers.
export { ensureDataset } from './download.ts';
export { resolveDataDir, candidateDirs, cacheRoot, datasetSpec, DATASETS, type DataDirOptions, type DatasetSpec } from './paths.ts';
export { loadMnist, loadFashionMnist, type ImageDataset, type MnistOptions } from './mnist.ts';
export { loadCifar10, CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD, type CifarDataset, type CifarOptions } from './cifar.ts';
export { loadPlanetoid, denseFeatures, planetoidNames, type PlanetoidName, type PlanetoidData, type CsrFeatures } from './planetoid.ts';
export {
  loadPtb, loadTinyShakespeare, loadMulti30k, loadTextCorpus, readWords, loadAnalogies, parseAnalogies,
  type PtbData, type CharData, type SentencePair, type Multi30kData, type CorpusOptions, type AnalogySection,
} from './text.ts';
export { DataLoader, type Dataset, type DataLoaderOptions, type LoaderState } from './loader.ts';
export { normalize, randomCrop, hflip, randomHorizontalFlip, mapImages, type ImageShape } from './transforms.ts';
export { cropParams, drawAugmentParams, augmentBatch, type AugmentSpec, type AugmentParams } from './transforms.ts';
export { Prefetcher, PrefetchStream, prefetch, toShared, type PrefetcherOptions, type IterateOptions, type PrefetchHandler, type PrefetchSetup } from './prefetch.ts';
export { imageBatchWorker, buildImageBatch, shareImageBatchData, type ImageBatchData, type ImageBatchJob, type ImageBatch } from './image-batch.ts';
export {
  Vocab, CharTokenizer, wordTokenize, padSequences, bucketByLength, collatePairs, PAD, UNK, BOS, EOS, SPECIALS,
  type VocabOptions, type Padded, type BucketOptions, type PairBatch,
} from './tokenize.ts';
