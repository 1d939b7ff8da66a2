#include "kernel/stderr_collector.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace nbexec::kernel::detail {

StderrCollector::StderrCollector(int fd, std::size_t limit) : fd_(fd), limit_(limit) {
  ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  // Without a wake pipe the thread falls back to polling stopping_ every 100 ms.
  if (::pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
  thread_ = std::thread([this] { run(); });
}

StderrCollector::~StderrCollector() {
  stop();
}

void StderrCollector::stop() noexcept {
  std::lock_guard lock(stop_mutex_);
  if (!thread_.joinable()) return;
  stopping_ = true;
  if (wake_[1] >= 0) {
    char byte = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
  }
  thread_.join();
  for (int* fd : {&fd_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

std::string StderrCollector::tail() const {
  std::lock_guard lock(tail_mutex_);
  return tail_;
}

void StderrCollector::append(const char* data, std::size_t size) {
  std::lock_guard lock(tail_mutex_);
  tail_.append(data, size);
  if (tail_.size() > limit_) tail_.erase(0, tail_.size() - limit_);
}

bool StderrCollector::drain() {
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n > 0) {
      append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

void StderrCollector::run() {
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  const nfds_t count = wake_[0] >= 0 ? 2 : 1;
  while (true) {
    int ready = ::poll(fds, count, count == 2 ? -1 : 100);
    if (ready < 0 && errno != EINTR) return;
    if (stopping_) {
      drain();
      return;
    }
    if (ready > 0 && fds[0].revents != 0 && !drain()) return;
  }
}

}  // namespace nbexec::kernel::detail
