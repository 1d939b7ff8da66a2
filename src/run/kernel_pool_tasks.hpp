#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nbexec::pool_detail {

// The pool's background work (kernel starts ahead of need, shutdowns of used kernels) on a
// fixed number of threads, started on first use. Every task blocks for up to seconds (a
// handshake, a shutdown's grace), and the pool never has more such tasks than kernel slots,
// so one thread per slot keeps any of them from waiting behind another.
class TaskRunner {
 public:
  explicit TaskRunner(std::size_t threads) : limit_(threads) {}
  ~TaskRunner() { drain(); }
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // Queues `task`; after drain() runs it in the caller instead, so nothing handed over late
  // (a kernel given back after the pool stopped) is dropped.
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      if (!drained_) {
        queue_.push_back(std::move(task));
        if (idle_ == 0 && threads_.size() < limit_) threads_.emplace_back([this] { work(); });
        wake_.notify_one();
        return;
      }
    }
    task();
  }

  // Runs every queued task to its end and joins the threads. Idempotent.
  void drain() {
    std::vector<std::thread> threads;
    {
      std::unique_lock lock(mutex_);
      if (drained_) return;
      done_.wait(lock, [this] { return queue_.empty() && busy_ == 0; });
      drained_ = true;
      threads.swap(threads_);
    }
    wake_.notify_all();
    for (auto& thread : threads) thread.join();
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [this] { return drained_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // drained
      auto task = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      lock.unlock();
      try {
        task();
      } catch (...) {
        // Tasks report their own failures; one that throws must not end the thread.
      }
      lock.lock();
      --busy_;
      if (queue_.empty() && busy_ == 0) done_.notify_all();
    }
  }

  const std::size_t limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  std::size_t busy_ = 0;
  bool drained_ = false;
};

}  // namespace nbexec::pool_detail
