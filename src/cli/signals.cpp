#include "signals.hpp"

#include <csignal>

namespace nbexec::cli {

namespace {
std::atomic<bool> g_cancelled{false};
volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_old_int {};
struct sigaction g_old_term {};

extern "C" void on_signal(int signal_number) {
  g_signal = signal_number;
  g_cancelled.store(true);
}
}  // namespace

SignalGuard::SignalGuard() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
}

SignalGuard::~SignalGuard() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

const std::atomic<bool>& SignalGuard::cancelled() const {
  return g_cancelled;
}

int SignalGuard::signal_number() const {
  return g_signal;
}

}  // namespace nbexec::cli
