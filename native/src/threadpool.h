// A persistent pool of compute threads. The calling thread is worker 0; the others spin briefly between jobs
// (a model step issues many short parallel regions) and then sleep on a condition variable.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace vmlx {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_; }

  // Runs f(ith, nth) on every thread (ith = 0 on the caller) and returns when all are done.
  template <class F>
  void run(F&& f) {
    run_raw([](void* ctx, int ith, int nth) { (*static_cast<F*>(ctx))(ith, nth); }, &f);
  }

  // Splits [0, n) into nth contiguous, even parts and calls f(begin, end) on each thread.
  template <class F>
  void parallel_for(int n, F&& f) {
    if (n <= 0) return;
    if (n == 1 || n_ == 1) {
      f(0, n);
      return;
    }
    run([&](int ith, int nth) {
      const int b = static_cast<int>(static_cast<int64_t>(n) * ith / nth);
      const int e = static_cast<int>(static_cast<int64_t>(n) * (ith + 1) / nth);
      if (b < e) f(b, e);
    });
  }

  // Calls f(begin, end) on runs of [0, n) that the threads claim from a shared counter, each run a share of what is
  // left and at least minRun long (guided scheduling): a thread that finishes early takes more, so a core whose
  // memory reads run slower does not leave the other waiting. Which thread runs which part varies from call to call.
  template <class F>
  void parallel_for_guided(int n, int minRun, F&& f) {
    if (n <= 0) return;
    if (n == 1 || n_ == 1) {
      f(0, n);
      return;
    }
    std::atomic<int> next{0};
    run([&](int, int nth) {
      int b = next.load(std::memory_order_relaxed);
      while (b < n) {
        const int e = std::min(n, b + std::max({1, minRun, (n - b) / (2 * nth)}));
        if (next.compare_exchange_weak(b, e, std::memory_order_relaxed)) {
          f(b, e);
          b = next.load(std::memory_order_relaxed);
        }
      }
    });
  }

 private:
  using Fn = void (*)(void*, int, int);
  void run_raw(Fn fn, void* ctx);
  void worker(int ith);

  int n_;
  std::vector<std::thread> threads_;
  Fn fn_ = nullptr;
  void* ctx_ = nullptr;
  std::atomic<uint64_t> epoch_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace vmlx
