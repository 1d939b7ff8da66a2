#include "run/memory_sampler.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace nbexec::run_detail {
namespace {

// The parent of `pid` from /proc/PID/stat, or -1. The command name (field 2) is in parentheses
// and may hold spaces and ')', so the fields are read after the last ')'.
int parent_of(const std::string& pid) {
  std::ifstream file("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(file, line)) return -1;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 1));
  std::string state;
  int ppid = -1;
  fields >> state >> ppid;
  return fields ? ppid : -1;
}

// Resident pages (statm's second field) in bytes: cheaper than parsing status.
std::uint64_t rss_of(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  if (!(file >> size >> resident)) return 0;
  static const long page = ::sysconf(_SC_PAGESIZE);
  return resident * static_cast<std::uint64_t>(page > 0 ? page : 4096);
}

// The "Pss:" line of smaps_rollup (Linux 4.14+), in bytes; 0 when it cannot be read.
std::uint64_t pss_of(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("Pss:", 0) == 0) {
      return std::strtoull(line.c_str() + 4, nullptr, 10) * 1024;
    }
  }
  return 0;
}

// Every live process's parent, from one pass over /proc.
std::multimap<int, int> children_by_parent() {
  std::multimap<int, int> children;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; }))
      continue;
    const int parent = parent_of(name);
    if (parent > 0) children.emplace(parent, std::atoi(name.c_str()));
  }
  return children;
}

}  // namespace

MemoryTotals sample_process_tree(int root) {
  const auto children = children_by_parent();
  MemoryTotals totals;
  std::vector<int> pending{root};
  while (!pending.empty()) {
    const int pid = pending.back();
    pending.pop_back();
    totals.rss_bytes += rss_of(pid);
    totals.pss_bytes += pss_of(pid);
    const auto [first, last] = children.equal_range(pid);
    for (auto it = first; it != last; ++it) pending.push_back(it->second);
  }
  return totals;
}

MemorySampler::MemorySampler(int root, std::chrono::milliseconds interval)
    : root_(root), interval_(interval) {}

MemorySampler::~MemorySampler() {
  stop();
}

void MemorySampler::start() {
  take_sample();
  thread_ = std::thread([this] { loop(); });
}

void MemorySampler::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  take_sample();
}

MemoryTotals MemorySampler::peaks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peaks_;
}

void MemorySampler::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    // /proc is read unlocked: a sample of a few dozen processes takes a millisecond or two.
    lock.unlock();
    take_sample();
    lock.lock();
  }
}

void MemorySampler::take_sample() {
  const MemoryTotals now = sample_process_tree(root_);
  std::lock_guard<std::mutex> lock(mutex_);
  peaks_.rss_bytes = std::max(peaks_.rss_bytes, now.rss_bytes);
  peaks_.pss_bytes = std::max(peaks_.pss_bytes, now.pss_bytes);
}

}  // namespace nbexec::run_detail
