// word2vec training (skip-gram / CBOW, negative sampling / hierarchical softmax), the algorithm of Mikolov's C tool;
// the equations are in src/backend/kernels/word2vec.ts and src/backend/js/word2vec.ts is the TypeScript twin, which
// draws the same random numbers in the same order.
//
// Speed, compared with the C tool and gensim's Cython loop:
//   - dot products and updates are SIMD loops the compiler vectorizes for this CPU (the C tool's scalar dot is one
//     long chain of dependent adds; gensim calls BLAS sdot/saxpy through function pointers, one call per vector);
//   - the two updates of a target row (e += g·u; u += g·h) are fused into one pass over the row;
//   - a pair's noise words are drawn first and their rows prefetched, so the cache misses overlap;
//   - σ comes from a 1024-entry table (4 KiB, stays in L1), as in the C tool.
// Threads: the addon's pool (native/threads.cc). Each call trains a range of sentences; the threads take sentences
// one at a time from a shared counter (dynamic load balancing: the call ends one sentence after the slowest thread
// instead of one thread-slice after it, which matters on a shared machine), and update the vectors Hogwild-style,
// without locks. Random numbers come from a stream per (seed, epoch, sentence), so which thread trains a sentence
// does not change what it draws: one thread is deterministic, and more threads differ only by the update races.
#include "common.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

namespace dt {
namespace {

constexpr int kTable = 1024;       // σ table entries on (−kMaxExp, kMaxExp)
constexpr float kMaxExp = 6.0f;
constexpr float kScale = kTable / (2 * kMaxExp);

struct Tables {
  float sigmoid[kTable];  // σ(x) at the centre of each bin
  float logsig[kTable];   // −log σ(x)
  Tables() {
    for (int i = 0; i < kTable; i++) {
      double x = (i + 0.5) / kScale - kMaxExp;
      sigmoid[i] = (float)(1.0 / (1.0 + std::exp(-x)));
      logsig[i] = (float)std::log1p(std::exp(-x));
    }
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}

inline uint32_t mix32(uint32_t z) {
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

/** A Weyl sequence through mix32 (splitmix32): 32-bit arithmetic only, so TypeScript reproduces it exactly. */
struct Rng {
  uint32_t s;
  Rng(uint32_t seed, uint32_t epoch, uint32_t sentence) {
    uint32_t h = mix32(seed ^ 0x5bd1e995u);
    h = mix32(h + epoch);
    s = mix32(h + sentence);
  }
  inline uint32_t next() { s += 0x9e3779b9u; return mix32(s); }
  /** Uniform in [0, n): the high word of r·n. */
  inline uint32_t below(uint32_t n) { return (uint32_t)(((uint64_t)next() * n) >> 32); }
};

inline float dot(const float* __restrict a, const float* __restrict b, int n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/** e += g·u; u += g·h (one pass over the target row u). */
inline void update(float* __restrict e, float* __restrict u, const float* __restrict h, float g, int n) {
#pragma omp simd
  for (int i = 0; i < n; i++) {
    const float ui = u[i];
    e[i] += g * ui;
    u[i] = ui + g * h[i];
  }
}

inline void prefetchRow(const float* p, int n) {
  for (int i = 0; i < n; i += 16) __builtin_prefetch(p + i, 1, 3);
}

/** −log σ(z), from the table inside (−6, 6) and its asymptotes outside. */
inline float logLoss(float z, const Tables& T) {
  if (z >= kMaxExp) return 0.0f;
  if (z <= -kMaxExp) return -z;
  return T.logsig[(int)((z + kMaxExp) * kScale)];
}

struct Model {
  float* in;      // V×D input vectors (syn0)
  float* out;     // V×D output vectors for negative sampling (syn1neg), or null
  float* node;    // (V−1)×D tree-node vectors for hierarchical softmax (syn1), or null
  int64_t V;
  int D;
  const int32_t* ids;
  const int32_t* starts;
  const uint32_t* keep;
  const uint32_t* noiseProb;
  const int32_t* noiseAlias;
  const int32_t* codeStart;
  const uint8_t* codes;
  const int32_t* points;
  bool sg, hs;
  int window, negative;
  double lr, minLr, totalWords, epochBase;  // α at corpus position p: max(minLr, lr·(1 − (epochBase + p)/totalWords))
  uint32_t seed, epoch;
};

struct Scratch {
  std::vector<int32_t> sen;
  std::vector<float> alpha;
  std::vector<float> neu1, neu1e;
  int32_t targets[1024];
  double words = 0, kept = 0, loss = 0, terms = 0;
};

/** Trains h (the input: a word's vector, or the CBOW mean) towards target word w; accumulates the input's change in e. */
inline void trainPair(const Model& m, const Tables& T, Rng& rng, Scratch& sc, const float* h, float* e, int32_t w, float a) {
  const int D = m.D;
  if (m.hs) {
    for (int32_t k = m.codeStart[w]; k < m.codeStart[w + 1]; k++) {
      float* u = m.node + (int64_t)m.points[k] * D;
      const float f = dot(h, u, D);
      const float s = m.codes[k] ? -1.0f : 1.0f;  // bit c: the target label is 1 − c
      sc.loss += logLoss(s * f, T);
      sc.terms += 1;
      if (f <= -kMaxExp || f >= kMaxExp) continue;
      const float g = ((1 - (int)m.codes[k]) - T.sigmoid[(int)((f + kMaxExp) * kScale)]) * a;
      update(e, u, h, g, D);
    }
  }
  if (m.negative > 0) {
    // draw the noise words first (the same draws, in the same order, as drawing them one by one) and prefetch their rows
    int nt = 0;
    sc.targets[nt++] = w;
    for (int d = 0; d < m.negative; d++) {
      const uint64_t x = (uint64_t)rng.next() * (uint64_t)m.V;
      const uint32_t i = (uint32_t)(x >> 32), u = (uint32_t)x;
      const int32_t t = u < m.noiseProb[i] ? (int32_t)i : m.noiseAlias[i];
      if (t == w) continue;
      sc.targets[nt++] = t;
      prefetchRow(m.out + (int64_t)t * D, D);
    }
    for (int k = 0; k < nt; k++) {
      float* u = m.out + (int64_t)sc.targets[k] * D;
      const float label = k == 0 ? 1.0f : 0.0f;
      const float f = dot(h, u, D);
      sc.loss += logLoss(k == 0 ? f : -f, T);
      sc.terms += 1;
      const float sig = f >= kMaxExp ? 1.0f : f <= -kMaxExp ? 0.0f : T.sigmoid[(int)((f + kMaxExp) * kScale)];
      const float g = (label - sig) * a;
      update(e, u, h, g, D);
    }
  }
}

void trainSentence(const Model& m, const Tables& T, Scratch& sc, int64_t s) {
  const int D = m.D;
  Rng rng(m.seed, m.epoch, (uint32_t)s);
  const int32_t b0 = m.starts[s], b1 = m.starts[s + 1];
  // subsample
  int n = 0;
  for (int32_t p = b0; p < b1; p++) {
    const int32_t w = m.ids[p];
    const uint32_t k = m.keep[w];
    if (k != 0xffffffffu && rng.next() > k) continue;
    double a = m.lr * (1.0 - (m.epochBase + p) / m.totalWords);
    if (a < m.minLr) a = m.minLr;
    sc.sen[n] = w;
    sc.alpha[n] = (float)a;
    n++;
  }
  sc.words += b1 - b0;
  sc.kept += n;
  float* neu1 = sc.neu1.data();
  float* neu1e = sc.neu1e.data();
  for (int i = 0; i < n; i++) {
    const int32_t w = sc.sen[i];
    const float a = sc.alpha[i];
    const int b = (int)rng.below((uint32_t)m.window);
    const int lo = std::max(0, i - m.window + b), hi = std::min(n, i + m.window + 1 - b);
    if (m.sg) {
      for (int j = lo; j < hi; j++) {
        if (j == i) continue;
        float* h = m.in + (int64_t)sc.sen[j] * D;
        std::fill(neu1e, neu1e + D, 0.0f);
        trainPair(m, T, rng, sc, h, neu1e, w, a);
#pragma omp simd
        for (int c = 0; c < D; c++) h[c] += neu1e[c];
      }
    } else {
      int cw = hi - lo - 1;
      if (cw <= 0) continue;
      std::fill(neu1, neu1 + D, 0.0f);
      for (int j = lo; j < hi; j++) {
        if (j == i) continue;
        const float* v = m.in + (int64_t)sc.sen[j] * D;
#pragma omp simd
        for (int c = 0; c < D; c++) neu1[c] += v[c];
      }
      const float inv = 1.0f / (float)cw;
#pragma omp simd
      for (int c = 0; c < D; c++) neu1[c] *= inv;
      std::fill(neu1e, neu1e + D, 0.0f);
      trainPair(m, T, rng, sc, neu1, neu1e, w, a);
      for (int j = lo; j < hi; j++) {
        if (j == i) continue;
        float* v = m.in + (int64_t)sc.sen[j] * D;
#pragma omp simd
        for (int c = 0; c < D; c++) v[c] += neu1e[c];
      }
    }
  }
}

// word2vecTrain(inputVectors, outputVectors|null, nodeVectors|null, ids, sentenceStarts, keep, noiseProb, noiseAlias,
//               codeStart, codes, points, params, stats)
// params (Float64Array): [sg, dim, window, negative, hs, lr, minLr, epochs, epoch, first, last, seed, threads]
// stats (Float64Array, overwritten): [words, kept, loss, terms]
void word2vecTrain(const Args& A) {
  const Span<double> P = A.f64(11, 13);
  const Span<double> stats = A.f64(12, 4);
  Model m{};
  m.sg = P.p[0] != 0;
  const int64_t D = (int64_t)P.p[1];
  m.window = (int)P.p[2];
  m.negative = (int)P.p[3];
  m.hs = P.p[4] != 0;
  m.lr = P.p[5];
  m.minLr = P.p[6];
  const double epochs = P.p[7], epoch = P.p[8];
  const int64_t first = (int64_t)P.p[9], last = (int64_t)P.p[10];
  m.seed = (uint32_t)(int64_t)P.p[11];
  const int threads = (int)P.p[12];
  if (D < 1 || D > (1 << 20)) A.fail("dim must be in [1, 2^20]");
  if (m.window < 1) A.fail("window must be at least 1");
  if (m.negative < 0 || m.negative > 1000) A.fail("negative must be in [0, 1000]");
  if (m.negative == 0 && !m.hs) A.fail("neither negative sampling nor hierarchical softmax is on");
  if (threads < 1) A.fail("threads must be at least 1");
  m.D = (int)D;
  const Span<float> in = A.f32(0, 0);
  if (in.n % D != 0 || in.n == 0) A.fail("inputVectors' length is not a multiple of dim");
  m.V = (int64_t)(in.n / D);
  if (m.V > 0x7fffffff) A.fail("too many words");
  m.in = in.p;
  m.out = m.negative > 0 ? A.f32(1, m.V * D).p : nullptr;
  m.node = m.hs ? A.f32(2, std::max<int64_t>(m.V - 1, 1) * D).p : nullptr;
  const Span<int32_t> ids = A.i32(3, 0), starts = A.i32(4, 1);
  m.ids = ids.p;
  m.starts = starts.p;
  m.keep = A.u32(5, m.V).p;
  m.noiseProb = A.u32(6, m.negative > 0 ? m.V : 0).p;
  const Span<int32_t> alias = A.i32(7, m.negative > 0 ? m.V : 0);
  m.noiseAlias = alias.p;
  const Span<int32_t> codeStart = A.i32(8, m.hs ? m.V + 1 : 0);
  const Span<uint8_t> codes = A.u8(9, 0);
  const Span<int32_t> points = A.i32(10, 0);
  m.codeStart = codeStart.p;
  m.codes = codes.p;
  m.points = points.p;
  const int64_t nSentences = (int64_t)starts.n - 1;
  if (first < 0 || last < first || last > nSentences) A.fail("sentence range [" + std::to_string(first) + ", " + std::to_string(last) + ") is outside the corpus's " + std::to_string(nSentences) + " sentences");
  if (!(epochs >= 1) || !(epoch >= 0) || epoch >= epochs) A.fail("epoch must be in [0, epochs)");
  // validate what the loops index with, so bad input throws instead of corrupting memory
  int64_t maxLen = 0;
  for (int64_t s = first; s < last; s++) {
    const int64_t b0 = starts.p[s], b1 = starts.p[s + 1];
    if (b0 < 0 || b1 < b0 || (size_t)b1 > ids.n) A.fail("sentenceStarts is not increasing within [0, ids.length] at sentence " + std::to_string(s));
    maxLen = std::max(maxLen, b1 - b0);
    for (int64_t p = b0; p < b1; p++) {
      if (ids.p[p] < 0 || ids.p[p] >= m.V) A.fail("word index " + std::to_string(ids.p[p]) + " at position " + std::to_string(p) + " is outside the " + std::to_string(m.V) + "-word vocabulary");
    }
  }
  if (m.negative > 0) {
    for (int64_t w = 0; w < m.V; w++) if (alias.p[w] < 0 || alias.p[w] >= m.V) A.fail("noiseAlias holds an index outside the vocabulary");
  }
  if (m.hs) {
    if (codeStart.p[0] != 0 || (size_t)codeStart.p[m.V] > std::min(codes.n, points.n)) A.fail("codeStart does not match codes/points");
    for (int64_t w = 0; w < m.V; w++) {
      if (codeStart.p[w + 1] < codeStart.p[w] || codeStart.p[w + 1] - codeStart.p[w] > 64) A.fail("codeStart is not increasing (or a path is longer than 64) at word " + std::to_string(w));
    }
    for (int64_t k = 0; k < codeStart.p[m.V]; k++) if (points.p[k] < 0 || points.p[k] >= std::max<int64_t>(m.V - 1, 1)) A.fail("points holds a node outside the tree");
  }
  const double N = (double)ids.n;
  m.totalWords = std::max(1.0, epochs * N);
  m.epochBase = epoch * N;
  m.epoch = (uint32_t)epoch;
  const Tables& T = tables();

  const int nt = (int)std::min<int64_t>(threads, std::max<int64_t>(1, last - first));
  std::vector<Scratch> scratch(nt);
  for (auto& sc : scratch) {
    sc.sen.resize(maxLen + 1);
    sc.alpha.resize(maxLen + 1);
    sc.neu1.resize(D);
    sc.neu1e.resize(D);
  }
  std::atomic<int64_t> next{first};
  auto work = [&](int tid) {
    Scratch& sc = scratch[tid];
    for (;;) {
      const int64_t s = next.fetch_add(1, std::memory_order_relaxed);
      if (s >= last) break;
      trainSentence(m, T, sc, s);
    }
  };
  if (nt <= 1) work(0);
  else {
    // exactly nt participants, even beyond the pool's default size (DEEPTEN_THREADS or the core count)
    const int saved = dt::threads();
    if (nt > saved) setThreads(nt);
    parallel(nt, work);
    if (nt > saved) setThreads(saved);
  }
  double words = 0, kept = 0, loss = 0, terms = 0;
  for (auto& sc : scratch) { words += sc.words; kept += sc.kept; loss += sc.loss; terms += sc.terms; }
  stats.p[0] = words;
  stats.p[1] = kept;
  stats.p[2] = loss;
  stats.p[3] = terms;
}

}  // namespace

void registerWord2Vec(napi_env env, napi_value exports) {
  DT_DEF("word2vecTrain", word2vecTrain);
}

}  // namespace dt
