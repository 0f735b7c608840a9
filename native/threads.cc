// A small persistent thread pool. Workers spin briefly after each job (kernels come in quick succession
// during training), then sleep on a condition variable so an idle process costs no CPU.
#include "common.h"

#include <atomic>
#include <condition_variable>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DT_PAUSE() _mm_pause()
#else
#define DT_PAUSE() std::this_thread::yield()
#endif

namespace dt {

static int defaultThreads() {
  if (const char* e = std::getenv("DEEPTEN_THREADS")) {
    int n = std::atoi(e);
    if (n >= 1 && n <= 256) return n;
  }
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n ? (int)n : 1;
}

static void blasSetThreads(int n) {
#if defined(OPENBLAS_VERSION)
  openblas_set_num_threads(n);
#else
  (void)n;
#endif
}

static int blasGetThreads() {
#if defined(OPENBLAS_VERSION)
  return openblas_get_num_threads();
#else
  return 1;
#endif
}

namespace {
constexpr int kSpin = 4000;  // pause iterations (tens of µs) a worker waits for the next job before sleeping

struct Pool {
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<uint64_t> gen{0};
  std::atomic<int> pending{0};
  const std::function<void(int)>* job = nullptr;
  int active = 0;          // participants of the current job, caller included
  int sleepers = 0;        // guarded by mu
  std::mutex callMu;       // one parallel region at a time (node worker threads may share the addon)
};

// leaked on purpose: detached workers may outlive static destruction
Pool& thePool() {
  static Pool* p = new Pool();
  return *p;
}
int nThreads = 0;
thread_local bool inRegion = false;

// `seen` is the job generation at the worker's creation: only later jobs are its business.
void workerLoop(int tid, uint64_t seen) {
  inRegion = true;
  Pool& pool = thePool();
  for (;;) {
    uint64_t g;
    int spins = 0;
    while ((g = pool.gen.load(std::memory_order_acquire)) == seen) {
      if (++spins < kSpin) { DT_PAUSE(); continue; }
      std::unique_lock<std::mutex> lk(pool.mu);
      pool.sleepers++;
      pool.cv.wait(lk, [&] { return pool.gen.load(std::memory_order_acquire) != seen; });
      pool.sleepers--;
    }
    seen = g;
    if (tid < pool.active) (*pool.job)(tid);
    pool.pending.fetch_sub(1, std::memory_order_acq_rel);
  }
}

/** Starts workers until there are n − 1 (called with callMu held, between jobs). */
void ensureWorkers(Pool& pool, int n) {
  while ((int)pool.workers.size() < n - 1) {
    int tid = (int)pool.workers.size() + 1;
    pool.workers.emplace_back(workerLoop, tid, pool.gen.load(std::memory_order_acquire));
    pool.workers.back().detach();
  }
}
}  // namespace

// DEEPTEN_GEMM_THREADS=blas: BLAS threads its own GEMMs (its thread count follows ours); default: BLAS runs
// single-threaded and sgemm() splits large GEMMs over our pool.
static bool blasThreading() {
  static const bool on = [] { const char* e = std::getenv("DEEPTEN_GEMM_THREADS"); return e && std::strcmp(e, "blas") == 0; }();
  return on;
}

int threads() {
  if (nThreads == 0) {
    nThreads = defaultThreads();
    blasSetThreads(blasThreading() ? nThreads : 1);
  }
  return nThreads;
}

void setThreads(int n) {
  threads();
  nThreads = n;
  if (blasThreading()) blasSetThreads(n);
}

bool inParallel() { return inRegion; }

int gemmThreads(int64_t m, int64_t n, int64_t k) {
  if (blasThreading() || inRegion) return 1;
  const int nt = threads();
  // below ~2^18 multiply-adds a GEMM takes a few µs: waking workers would cost more than it saves
  if (nt <= 1 || (double)m * n * k < (double)(1 << 18) || std::max(m, n) < 32) return 1;
  return (int)std::min<int64_t>(nt, std::max(m, n) / 16);
}

void parallel(int nt, const std::function<void(int)>& f) {
  if (nt > threads()) nt = threads();
  if (nt <= 1 || inRegion) { for (int t = 0; t < nt; t++) f(t); return; }
  Pool& pool = thePool();
  if (!pool.callMu.try_lock()) { for (int t = 0; t < nt; t++) f(t); return; }  // another JS thread has the pool
  ensureWorkers(pool, nt);
  int nw = (int)pool.workers.size();
  pool.job = &f;
  pool.active = nt;
  pool.pending.store(nw, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lk(pool.mu);
    pool.gen.fetch_add(1, std::memory_order_release);
    if (pool.sleepers) pool.cv.notify_all();
  }
  inRegion = true;
  f(0);
  inRegion = false;
  int spins = 0;
  while (pool.pending.load(std::memory_order_acquire) != 0) {
    if (++spins < 4096) DT_PAUSE();
    else std::this_thread::yield();  // a worker was descheduled: let it run
  }
  pool.job = nullptr;
  pool.callMu.unlock();
}

SerialBlas::SerialBlas() : saved_(blasThreading() ? blasGetThreads() : 1) { if (saved_ != 1) blasSetThreads(1); }
SerialBlas::~SerialBlas() { if (saved_ != 1) blasSetThreads(saved_); }

float* scratch(int tid, size_t n, int which) {
  // one table per calling thread: node worker threads running kernels at the same time never share buffers
  static thread_local std::vector<std::vector<float>> bufs;
  size_t slot = (size_t)tid * 4 + which;
  if (slot >= bufs.size()) bufs.resize(slot + 1);
  if (bufs[slot].size() < n) bufs[slot].resize(n);
  return bufs[slot].data();
}

}  // namespace dt
