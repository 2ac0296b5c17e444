#include "work_queue.h"

#include <thread>

namespace vmlx {

WorkQueue::WorkQueue() : st_(std::make_shared<State>()) {
  std::thread([st = st_] {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lk(st->mu);
        st->cv.wait(lk, [&] { return st->closed || !st->jobs.empty(); });
        if (st->jobs.empty()) return;
        job = std::move(st->jobs.front());
        st->jobs.pop_front();
      }
      job();
    }
  }).detach();
}

void WorkQueue::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lk(st_->mu);
    if (st_->closed) return;
    st_->jobs.push_back(std::move(job));
  }
  st_->cv.notify_one();
}

void WorkQueue::close() {
  {
    std::lock_guard<std::mutex> lk(st_->mu);
    st_->closed = true;
  }
  st_->cv.notify_one();
}

}  // namespace vmlx
