#include <nbexec/error.hpp>
#include <nbexec/kernel_pool.hpp>

#include "run/kernel_pool_tasks.hpp"
#include "run/kernel_starter.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace nbexec {

namespace {

using steady = std::chrono::steady_clock;

// Kernels are interchangeable for a run when they come from the same kernelspec and were
// started in the same working directory with the same transport and encryption policy (as
// asked for: "auto" matches "auto", whichever transport the kernel ended up with, since the
// same request gets the same outcome).
struct KernelKey {
  std::string spec_dir;
  std::string spec_name;
  std::string cwd;
  std::string transport;
  std::string encryption;
  bool operator==(const KernelKey& other) const {
    return spec_dir == other.spec_dir && spec_name == other.spec_name && cwd == other.cwd &&
           transport == other.transport && encryption == other.encryption;
  }
};

KernelKey key_of(const kernel::KernelSpec& spec, const kernel::LaunchOptions& launch) {
  return {spec.resource_dir.string(), spec.name, launch.cwd ? launch.cwd->string() : "",
          launch.transport, launch.encryption};
}

struct WarmKernel {
  KernelKey key;
  std::unique_ptr<kernel::Kernel> kernel;
};

// What the pool expects the next take() to ask for: the last request's spec and launch options
// (a sweep's runs all ask for the same kernel).
struct Expectation {
  KernelKey key;
  kernel::KernelSpec spec;
  kernel::LaunchOptions launch;
};

}  // namespace

struct KernelPool::Impl {
  explicit Impl(KernelPoolOptions opts)
      : options(std::move(opts)), starter(options), tasks(std::max<std::size_t>(options.size, 1)) {}

  KernelPoolOptions options;
  pool_detail::KernelStarter starter;
  pool_detail::TaskRunner tasks;

  mutable std::mutex mutex;
  std::condition_variable changed;
  // Slots in use: kernels starting, warm, taken, or shutting down.
  std::size_t alive = 0;
  std::size_t starting_ahead = 0;            // background starts in flight
  std::size_t takers_waiting_for_ahead = 0;  // take()s waiting for one of those
  std::deque<WarmKernel> warm;
  std::optional<Expectation> expected;
  std::optional<std::size_t> takes_left;  // limit_ahead: kernels still to be taken
  bool background_failed = false;         // a start ahead of need failed: start on demand only
  bool stopping = false;
  std::atomic<bool> stop_flag{false};  // cancels background starts' handshakes
  KernelPoolStats stats;

  void log(LogLevel level, const std::string& line) const {
    if (!options.log) return;
    try {
      options.log(level, line);
    } catch (...) {
      // A failing logger must not break a kernel start or shutdown.
    }
  }

  // Fills free slots with kernels for the expected run (call with the lock held).
  void refill_locked() {
    if (!expected || stopping || background_failed) return;
    while (alive < options.size && (!takes_left || warm.size() + starting_ahead < *takes_left)) {
      ++alive;
      ++starting_ahead;
      Expectation want = *expected;
      want.launch.cancel = &stop_flag;
      want.launch.log = [this](const std::string& line) { log(LogLevel::debug, line); };
      want.launch.warn = [this](const std::string& line) { log(LogLevel::warning, line); };
      tasks.post([this, want = std::move(want)] { start_ahead(want); });
    }
  }

  void start_ahead(const Expectation& want) {
    std::unique_ptr<kernel::Kernel> started;
    std::string failure;
    bool forked = false;
    try {
      started = starter.start(want.spec, want.launch, forked);
    } catch (const std::exception& error) {
      failure = error.what();
    }
    std::unique_lock lock(mutex);
    --starting_ahead;
    if (!started) {
      --alive;
      // Not retried in the background: the next take() starts one itself and reports the
      // error to its run.
      background_failed = true;
      lock.unlock();
      log(LogLevel::debug, "a kernel started ahead of need failed: " + failure);
      changed.notify_all();
      return;
    }
    count_start_locked(forked);
    if (stopping || stop_flag.load()) {
      lock.unlock();
      started.reset();  // shuts it down
      lock.lock();
      --alive;
    } else {
      warm.push_back({want.key, std::move(started)});
    }
    lock.unlock();
    changed.notify_all();
  }

  void count_take_locked() {
    if (takes_left && *takes_left > 0) --*takes_left;
  }

  void count_start_locked(bool forked) {
    ++stats.started;
    if (forked) ++stats.forked;
  }

  std::unique_ptr<kernel::Kernel> take(const kernel::KernelSpec& spec,
                                       const kernel::LaunchOptions& launch) {
    const KernelKey key = key_of(spec, launch);
    const auto deadline = steady::now() + launch.start_timeout;
    std::unique_lock lock(mutex);
    if (stopping) throw KernelError("the kernel pool has been shut down");
    if (!expected || !(expected->key == key)) {
      expected = Expectation{key, spec, launch};
      background_failed = false;
    }
    for (;;) {
      auto match = std::find_if(warm.begin(), warm.end(),
                                [&](const WarmKernel& entry) { return entry.key == key; });
      if (match != warm.end()) {
        auto kernel = std::move(match->kernel);
        warm.erase(match);
        ++stats.warm_hits;
        count_take_locked();
        refill_locked();
        return kernel;
      }
      // A kernel for this run is already starting ahead of need: wait for it rather than
      // start one more, which would leave that one warm for a run that may never come.
      const bool ahead_for_us =
          expected && expected->key == key && starting_ahead > takers_waiting_for_ahead;
      if (alive < options.size && !ahead_for_us) break;
      // No slot: a warm kernel for another run gives its slot up.
      if (!ahead_for_us && !warm.empty()) {
        auto other = std::move(warm.front().kernel);
        warm.pop_front();
        retire(std::move(other), std::chrono::milliseconds(2000));
      }
      const bool cancelled = launch.cancel && launch.cancel->load();
      if (cancelled) throw KernelError("stopped while waiting for a kernel");
      if (steady::now() >= deadline) {
        throw TimeoutError("no kernel became free within the start timeout: all " +
                               std::to_string(options.size) + " of the pool's kernels are busy",
                           Remedy::start_timeout);
      }
      // Wake up now and then to see the caller's cancel flag (set by a signal handler).
      if (ahead_for_us) ++takers_waiting_for_ahead;
      changed.wait_for(lock, std::chrono::milliseconds(50));
      if (ahead_for_us) --takers_waiting_for_ahead;
    }
    ++alive;
    lock.unlock();
    // Its start is the caller's to hear about; retire() points its log at the pool before it
    // is shut down, after the caller (a run's reporter) may be gone.
    std::unique_ptr<kernel::Kernel> kernel;
    bool forked = false;
    try {
      kernel = starter.start(spec, launch, forked);
    } catch (...) {
      lock.lock();
      --alive;
      lock.unlock();
      changed.notify_all();
      throw;
    }
    lock.lock();
    count_start_locked(forked);
    count_take_locked();
    refill_locked();
    return kernel;
  }

  // Shuts a kernel down in the background; its slot frees when it has exited. Safe with or
  // without the lock held: the task runner only queues (after shutdown() it runs the task in
  // the caller, and then no lock is held: take() refuses to run after shutdown()).
  void retire(std::unique_ptr<kernel::Kernel> kernel, std::chrono::milliseconds grace) {
    // The run that took it may be gone by the time the shutdown says anything.
    kernel->set_log([this](const std::string& line) { log(LogLevel::debug, line); });
    auto* raw = kernel.release();
    tasks.post([this, raw, grace] {
      std::unique_ptr<kernel::Kernel> owned(raw);
      owned->shutdown(grace);
      owned.reset();
      std::lock_guard lock(mutex);
      --alive;
      refill_locked();
      changed.notify_all();
    });
  }

  void give_back(std::unique_ptr<kernel::Kernel> kernel, std::chrono::milliseconds grace) {
    if (!kernel) return;
    retire(std::move(kernel), grace);
  }

  void shutdown() {
    std::deque<WarmKernel> idle;
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      stopping = true;
      stop_flag = true;
      idle.swap(warm);
    }
    for (auto& entry : idle) {
      entry.kernel->shutdown(std::chrono::milliseconds(1000));
      entry.kernel.reset();
      std::lock_guard lock(mutex);
      --alive;
    }
    tasks.drain();
    starter.stop_templates();
  }
};

KernelPool::KernelPool(KernelPoolOptions options) {
  if (options.size == 0) throw UsageError("a kernel pool needs a size of at least 1");
  impl_ = std::make_unique<Impl>(std::move(options));
}

KernelPool::~KernelPool() {
  shutdown();
}

void KernelPool::warm_up(const kernel::KernelSpec& spec, const kernel::LaunchOptions& launch) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stopping) return;
  impl_->expected = Expectation{key_of(spec, launch), spec, launch};
  impl_->background_failed = false;
  impl_->refill_locked();
}

void KernelPool::warm_up(const std::string& kernel_name,
                         const std::optional<std::filesystem::path>& cwd,
                         std::chrono::milliseconds start_timeout) {
  kernel::SearchOptions search;
  search.env_prefix = impl_->options.env_prefix;
  const kernel::KernelSpec spec =
      kernel::find_kernelspec(kernel_name, kernel::kernelspec_search_path(search));
  kernel::LaunchOptions launch;
  launch.cwd = cwd;
  launch.transport = impl_->options.transport;
  launch.encryption = impl_->options.encryption;
  launch.start_timeout = start_timeout;
  warm_up(spec, launch);
}

void KernelPool::limit_ahead(std::size_t takes) {
  std::lock_guard lock(impl_->mutex);
  impl_->takes_left = takes;
}

std::unique_ptr<kernel::Kernel> KernelPool::take(const kernel::KernelSpec& spec,
                                                 const kernel::LaunchOptions& launch) {
  return impl_->take(spec, launch);
}

void KernelPool::give_back(std::unique_ptr<kernel::Kernel> kernel,
                           std::chrono::milliseconds grace) {
  impl_->give_back(std::move(kernel), grace);
}

void KernelPool::shutdown() {
  impl_->shutdown();
}

KernelPoolStats KernelPool::stats() const {
  std::lock_guard lock(impl_->mutex);
  KernelPoolStats stats = impl_->stats;
  stats.fork_fallback = impl_->starter.fork_fallback();
  stats.template_pids = impl_->starter.template_pids();
  return stats;
}

}  // namespace nbexec
