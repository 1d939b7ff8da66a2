#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

// The memory a process and all its descendants use, sampled in the background: a sweep reports
// its peak, and forked kernels (children of a template that is a child of nbexec) count in it.
// Reads Linux's /proc; elsewhere every sample is zero.
namespace nbexec::run_detail {

struct MemoryTotals {
  std::uint64_t rss_bytes = 0;
  std::uint64_t pss_bytes = 0;  // 0 where smaps_rollup cannot be read
};

// One sample: the sum over `root` and every process below it (/proc/*/stat's parent links).
// RSS counts shared pages once per process; PSS divides them among their sharers, so a
// template's pages shared by its forks are counted once in all.
MemoryTotals sample_process_tree(int root);

class MemorySampler {
 public:
  explicit MemorySampler(int root,
                         std::chrono::milliseconds interval = std::chrono::milliseconds(100));
  ~MemorySampler();  // stop()
  MemorySampler(const MemorySampler&) = delete;
  MemorySampler& operator=(const MemorySampler&) = delete;

  void start();  // a first sample at once, then one per interval on a thread of its own
  void stop();   // one last sample, then joins; idempotent
  MemoryTotals peaks() const;  // the largest RSS and PSS sums seen (each on its own)

 private:
  void loop();
  void take_sample();

  int root_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  MemoryTotals peaks_;
  std::thread thread_;
};

}  // namespace nbexec::run_detail
