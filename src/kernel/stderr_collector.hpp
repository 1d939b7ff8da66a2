#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace nbexec::kernel::detail {

// Reads a child's stderr pipe on its own thread and keeps the last `limit` bytes, so error
// messages can quote what a failing kernel said without the pipe ever filling up.
class StderrCollector {
 public:
  // Takes ownership of `fd` (the read end of the pipe).
  StderrCollector(int fd, std::size_t limit);
  ~StderrCollector();
  StderrCollector(const StderrCollector&) = delete;
  StderrCollector& operator=(const StderrCollector&) = delete;

  // Takes what is buffered in the pipe and ends the thread without waiting for end of file:
  // a grandchild of the kernel may hold the pipe open long after the kernel is gone.
  // Idempotent.
  void stop() noexcept;

  std::string tail() const;

 private:
  void run();
  bool drain();  // false at end of file or on a hard error
  void append(const char* data, std::size_t size);

  int fd_;
  int wake_[2] = {-1, -1};
  std::size_t limit_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  mutable std::mutex tail_mutex_;
  std::string tail_;
  std::thread thread_;
};

}  // namespace nbexec::kernel::detail
