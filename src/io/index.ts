// File formats: safetensors (checkpoints), IDX (MNIST), pickle (Planetoid), tar (dataset archives), word vectors
// (the C word2vec tool's text and binary formats), atomic writes.
export { writeFileAtomic, type FileData } from './atomic.ts';
export { readSafetensors, writeSafetensors, type SafeDType, type SafeArray, type SafeTensor, type SafetensorsFile, type TensorInput } from './safetensors.ts';
export { readIdx, type IdxDType, type IdxArray, type IdxFile } from './idx.ts';
export { readTar, extractTar, packTar, type TarEntry, type TarWriteEntry } from './tar.ts';
export { readPickle, NdArray, CsrMatrix, DefaultDict, NumpyDType, type NumArray } from './pickle.ts';
export { halfToFloat, floatToHalf, bf16ToFloat, floatToBf16 } from './half.ts';
export { readVectors, writeVectors, writeVectorsText, writeVectorsBinary, writeVectorsSafetensors, type VectorFormat, type VectorsData } from './word2vec.ts';
