#include "threadpool.h"

#include <immintrin.h>

#include <chrono>

namespace vmlx {

namespace {
// How long an idle worker spins before sleeping: long enough to cover the gaps between the parallel regions
// of one decode step, short enough not to burn a core between requests.
constexpr auto kSpin = std::chrono::microseconds(2000);
}  // namespace

ThreadPool::ThreadPool(int threads) : n_(threads < 1 ? 1 : threads) {
  for (int i = 1; i < n_; i++) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_.store(true);
    epoch_.fetch_add(1);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::run_raw(Fn fn, void* ctx) {
  if (n_ == 1) {
    fn(ctx, 0, 1);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  pending_.store(n_ - 1, std::memory_order_relaxed);
  {
    // The lock orders this epoch bump against a worker that is about to sleep.
    std::lock_guard<std::mutex> lk(mu_);
    epoch_.fetch_add(1, std::memory_order_release);
  }
  if (sleepers_.load(std::memory_order_acquire) > 0) cv_.notify_all();
  fn(ctx, 0, n_);
  // Spin for the stragglers, but yield now and then: on an oversubscribed machine a descheduled worker would
  // otherwise cost a whole time slice per parallel region.
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
    _mm_pause();
    if ((spins & 255) == 255) std::this_thread::yield();
  }
}

void ThreadPool::worker(int ith) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t e = epoch_.load(std::memory_order_acquire);
    if (e == seen) {
      const auto until = std::chrono::steady_clock::now() + kSpin;
      int spins = 0;
      while ((e = epoch_.load(std::memory_order_acquire)) == seen) {
        _mm_pause();
        if (++spins == 1024) {
          spins = 0;
          if (std::chrono::steady_clock::now() > until) break;
          std::this_thread::yield();
        }
      }
      if (e == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        sleepers_.fetch_add(1);
        cv_.wait(lk, [&] { return epoch_.load(std::memory_order_acquire) != seen; });
        sleepers_.fetch_sub(1);
        e = epoch_.load(std::memory_order_acquire);
      }
    }
    seen = e;
    if (stop_.load()) return;
    fn_(ctx_, ith, n_);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace vmlx
