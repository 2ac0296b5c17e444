// A dedicated thread that runs one model's jobs in order (load, generate, evaluate, session disposal).
// Not libuv's pool: generation never competes with Node's own file I/O and crypto work.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace vmlx {

class WorkQueue {
 public:
  WorkQueue();
  // Jobs run one at a time on the queue's thread. Posting after close() is ignored.
  void post(std::function<void()> job);
  // Lets the thread finish the queued jobs and exit; it owns its state, so this never blocks the caller.
  void close();

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    bool closed = false;
  };
  std::shared_ptr<State> st_;
};

}  // namespace vmlx
