#include "run/kernel_starter.hpp"

#include <nbexec/error.hpp>
#include <nbexec/kernel/kernel_template.hpp>

#include <map>

namespace nbexec::pool_detail {

namespace {

// One template per kernelspec and working directory: a preload found on sys.path's "" must be
// the module the kernel would import from its own directory.
std::string template_key(const kernel::KernelSpec& spec, const kernel::LaunchOptions& launch) {
  return spec.resource_dir.string() + '\n' + spec.name + '\n' +
         (launch.cwd ? launch.cwd->string() : std::string());
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

struct KernelStarter::Impl {
  explicit Impl(const KernelPoolOptions& opts) : options(opts) {}

  struct Slot {
    std::mutex create;  // held while the template starts; other starts wait for it
    std::shared_ptr<kernel::KernelTemplate> made;
    bool given_up = false;  // forking is off for this kernelspec: plain starts
  };

  const KernelPoolOptions& options;
  mutable std::mutex mutex;
  std::map<std::string, std::shared_ptr<Slot>> slots;
  std::string fallback;  // the first reason forking was given up
  bool stopped = false;

  void log(LogLevel level, const std::string& line) const {
    if (!options.log) return;
    try {
      options.log(level, line);
    } catch (...) {
    }
  }

  void give_up(Slot& slot, const kernel::KernelSpec& spec, const std::string& reason) {
    slot.given_up = true;
    slot.made.reset();
    {
      std::lock_guard lock(mutex);
      if (fallback.empty()) fallback = reason;
    }
    log(LogLevel::warning, "kernels of '" + spec.name + "' will not be forked (" + reason +
                               "); starting each as its own process instead");
  }

  // The template to fork `spec` from, started on first need; null for plain starts.
  std::shared_ptr<kernel::KernelTemplate> template_for(const kernel::KernelSpec& spec,
                                                       const kernel::LaunchOptions& launch) {
    if (!options.fork) return nullptr;
    if (auto reason = kernel::KernelTemplate::unforkable(spec)) {
      static_cast<void>(reason);  // other kernels get ahead-of-need starts only
      return nullptr;
    }
    std::shared_ptr<Slot> slot;
    {
      std::lock_guard lock(mutex);
      if (stopped) return nullptr;
      auto& entry = slots[template_key(spec, launch)];
      if (!entry) entry = std::make_shared<Slot>();
      slot = entry;
    }
    std::lock_guard create(slot->create);
    if (slot->given_up) return nullptr;
    if (slot->made && slot->made->alive()) return slot->made;
    if (slot->made) {
      give_up(*slot, spec, "its template exited");
      return nullptr;
    }
    kernel::TemplateOptions template_options;
    template_options.preload = options.preload;
    template_options.cwd = launch.cwd;
    template_options.start_timeout = options.start_timeout;
    template_options.log = [this](const std::string& line) { log(LogLevel::debug, line); };
    try {
      slot->made = kernel::KernelTemplate::start(spec, template_options);
      log(LogLevel::debug,
          "forking kernels of '" + spec.name + "' from a template (pid " +
              std::to_string(slot->made->pid()) + ")" +
              (options.preload.empty() ? std::string()
                                       : " that preloaded " + join(options.preload)));
    } catch (const Error& error) {
      give_up(*slot, spec, error.what());
      return nullptr;
    }
    return slot->made;
  }

  void forget(const kernel::KernelSpec& spec, const kernel::LaunchOptions& launch,
              const std::string& reason) {
    std::shared_ptr<Slot> slot;
    {
      std::lock_guard lock(mutex);
      auto found = slots.find(template_key(spec, launch));
      if (found == slots.end()) return;
      slot = found->second;
    }
    std::lock_guard create(slot->create);
    if (!slot->given_up) give_up(*slot, spec, reason);
  }
};

KernelStarter::KernelStarter(const KernelPoolOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}

KernelStarter::~KernelStarter() {
  stop_templates();
}

std::unique_ptr<kernel::Kernel> KernelStarter::start(const kernel::KernelSpec& spec,
                                                     const kernel::LaunchOptions& launch,
                                                     bool& forked) {
  forked = false;
  if (auto from = impl_->template_for(spec, launch)) {
    kernel::LaunchOptions fork_launch = launch;
    fork_launch.fork_from = from;
    try {
      auto kernel = kernel::Kernel::start(spec, fork_launch);
      forked = true;
      return kernel;
    } catch (const KernelDiedError& error) {
      // A forked kernel that dies before its handshake, or a template that is gone: forking
      // is what differs from a plain start, so stop forking and start this one plainly. A
      // kernel that dies the same way again reports its own error.
      impl_->forget(spec, launch, std::string("a forked kernel failed to start: ") + error.what());
    }
  }
  return kernel::Kernel::start(spec, launch);
}

void KernelStarter::stop_templates() {
  std::map<std::string, std::shared_ptr<Impl::Slot>> slots;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    slots.swap(impl_->slots);
  }
  for (auto& [key, slot] : slots) {
    std::lock_guard create(slot->create);
    slot->made.reset();  // ends the template (and any kernel of it still running)
  }
}

std::string KernelStarter::fork_fallback() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->fallback;
}

std::vector<int> KernelStarter::template_pids() const {
  std::vector<std::shared_ptr<Impl::Slot>> slots;
  {
    std::lock_guard lock(impl_->mutex);
    for (const auto& [key, slot] : impl_->slots) slots.push_back(slot);
  }
  std::vector<int> pids;
  for (const auto& slot : slots) {
    // A template being started has no pid to report yet; do not wait for it.
    std::unique_lock create(slot->create, std::try_to_lock);
    if (create.owns_lock() && slot->made) pids.push_back(slot->made->pid());
  }
  return pids;
}

}  // namespace nbexec::pool_detail
