#!/usr/bin/python3
"""gensim's side of `npm run bench:word2vec` (Debian's python3-gensim 4.2, its compiled Cython trainer).

  /usr/bin/python3 bench/gensim_word2vec.py CONFIG_JSON

CONFIG_JSON: {"corpus", "out", "mode": "file"|"iterable", "sg", "dim", "window", "negative", "hs", "sample",
"min_count", "epochs", "alpha", "threads", "seed", "max_sentence_length"}. Trains Word2Vec with those settings, writes
the vectors in the C tool's binary format to "out", and prints one JSON line: seconds spent building the vocabulary
and training (wall and process CPU), the corpus's raw word count, and gensim's own analogy score when "analogies"
names a questions file.

Both modes read the same sentences deepten trains on: each line of the file, cut into pieces of max_sentence_length
words (LineSentence in 'iterable' mode; the C++ reader of corpus_file in 'file' mode, which splits the file between
the worker threads like the C tool).
"""
import json
import sys
import time

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence


def main():
    cfg = json.loads(sys.argv[1])
    kw = dict(vector_size=cfg['dim'], window=cfg['window'], min_count=cfg['min_count'], sample=cfg['sample'],
              sg=cfg['sg'], hs=cfg['hs'], negative=cfg['negative'], alpha=cfg['alpha'], min_alpha=cfg['alpha'] * 1e-4,
              workers=cfg['threads'], seed=cfg['seed'], cbow_mean=1, max_vocab_size=None, sorted_vocab=1,
              batch_words=10000, ns_exponent=0.75, shrink_windows=True, max_final_vocab=None)
    model = Word2Vec(**kw)
    if cfg['mode'] == 'file':
        source = dict(corpus_file=cfg['corpus'])
    else:
        source = dict(corpus_iterable=LineSentence(cfg['corpus'], max_sentence_length=cfg['max_sentence_length']))
    t0, c0 = time.perf_counter(), time.process_time()
    model.build_vocab(**source)
    t1, c1 = time.perf_counter(), time.process_time()
    if cfg['mode'] == 'file':
        # the learning rate must decay by words: corpus_file mode counts lines as examples, and a text8-style corpus
        # is one line, so with total_examples (= 1) it would drop to min_alpha after the first 10,000 words
        model.train(total_words=model.corpus_total_words, epochs=cfg['epochs'], **source)
    else:
        model.train(total_examples=model.corpus_count, total_words=model.corpus_total_words, epochs=cfg['epochs'], **source)
    t2, c2 = time.perf_counter(), time.process_time()
    model.wv.save_word2vec_format(cfg['out'], binary=True)
    out = {'vocab_seconds': t1 - t0, 'train_seconds': t2 - t1, 'train_cpu_seconds': c2 - c1,
           'raw_words': int(model.corpus_total_words), 'vocab_size': len(model.wv), 'gensim_version': __import__('gensim').__version__}
    if cfg.get('analogies'):
        score, _ = model.wv.evaluate_word_analogies(cfg['analogies'], restrict_vocab=30000, case_insensitive=True)
        out['gensim_analogy_score'] = score
    print(json.dumps(out))


if __name__ == '__main__':
    main()
