// deepten's side of `npm run bench:word2vec`: one training run in this process, the way the word2vec recipe trains
// (chunks of about 200,000 words through Word2Vec.trainSentences), timed over the training only (like gensim's
// train_seconds), then the vectors written in the C tool's binary format. Prints one JSON line.
//   node --import tsx bench/word2vec_worker.ts CONFIG_JSON
// CONFIG_JSON: {"corpus", "out", "config": "skipgram"|"cbow", "threads", "epochs"?, "seed"}
import { readWordCorpus } from '../src/data/word-corpus.ts';
import { Word2Vec } from '../src/models/word2vec.ts';
import { word2vecConfigs, chunkSentences } from '../src/train/recipes/word2vec.ts';
import { writeVectors } from '../src/io/word2vec.ts';
import { backendName } from '../src/backend/index.ts';

const cfgIn = JSON.parse(process.argv[2]) as { corpus: string; out: string; config: 'skipgram' | 'cbow'; threads: number; epochs?: number; seed: number };
const preset = word2vecConfigs[cfgIn.config];
const cfg = { ...preset, seed: cfgIn.seed, epochs: cfgIn.epochs ?? preset.epochs };
const t0 = performance.now();
const corpus = readWordCorpus(cfgIn.corpus, { maxSentenceLength: cfg.maxSentenceLength });
const model = Word2Vec.fromCorpus(corpus, cfg);
const data = model.encode(corpus);
const vocabSeconds = (performance.now() - t0) / 1000;
const chunks = chunkSentences(data.sentenceStarts, cfg.chunkWords);
const perEpoch = chunks.length - 1;
const cpu0 = process.cpuUsage();
const t1 = performance.now();
let words = 0, kept = 0;
for (let e = 0; e < cfg.epochs; e++) {
  for (let k = 0; k < perEpoch; k++) {
    const st = model.trainSentences(data, e, chunks[k], chunks[k + 1], cfgIn.threads);
    words += st.words;
    kept += st.kept;
  }
}
const trainSeconds = (performance.now() - t1) / 1000;
const cpu = process.cpuUsage(cpu0);
writeVectors(cfgIn.out, { words: model.vocab.words, vectors: model.inputVectors.data as Float32Array, dim: cfg.dim }, 'binary');
process.stdout.write(JSON.stringify({
  vocab_seconds: vocabSeconds, train_seconds: trainSeconds, train_cpu_seconds: (cpu.user + cpu.system) / 1e6,
  raw_words: corpus.tokens.length, vocab_size: model.numWords, trained_words: words, kept_words: kept, backend: backendName(),
}) + '\n');
