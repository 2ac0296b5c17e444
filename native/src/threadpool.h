// A persistent pool of compute threads. The calling thread is worker 0; the others spin briefly between jobs
// (a model step issues many short parallel regions) and then sleep on a condition variable.
#pragma once
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
