#pragma once

#include <nbexec/log_level.hpp>

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace nbexec::python {

// The name Python's logging gives a level, for log callbacks.
inline const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "DEBUG";
    case LogLevel::info:
      return "INFO";
    case LogLevel::warning:
      return "WARNING";
    case LogLevel::error:
      return "ERROR";
  }
  return "INFO";
}

// What a long facade call (a run, a sweep) needs from Python while the GIL is released: a
// cancel flag that a pending signal (Ctrl-C) sets, and callbacks into Python that take the GIL
// and turn an exception into a cancellation, the first one kept to be raised at the end (a
// KeyboardInterrupt raised inside a callback is a cancellation like any other).
class ReleasedCall {
 public:
  std::atomic<bool>& cancel() { return cancel_; }

  // Call with the GIL held.
  void check_signals() {
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();
      cancel_.store(true);
    }
  }

  // From any thread, without the GIL.
  template <class Call>
  void call_back(Call&& call) {
    pybind11::gil_scoped_acquire gil;
    try {
      std::forward<Call>(call)();
    } catch (pybind11::error_already_set& error) {
      if (!error.matches(PyExc_KeyboardInterrupt) && !callback_error_) callback_error_ = error;
      cancel_.store(true);
      return;
    }
    check_signals();
  }

  // Runs `job` on a worker thread with the GIL released while this thread (usually the main
  // one, the only one Python runs signal handlers on) looks for signals every 100 ms, so a
  // Ctrl-C during a silent long cell does not wait for the cell to end. Then raises the first
  // callback's exception, else rethrows what the job threw. Call with the GIL held.
  template <class Job>
  void run(Job&& job) {
    std::exception_ptr failure;
    std::mutex mutex;
    std::condition_variable finished_cv;
    bool finished = false;
    {
      pybind11::gil_scoped_release release;
      std::thread worker([&] {
        try {
          job();
        } catch (...) {
          failure = std::current_exception();
        }
        std::lock_guard<std::mutex> lock(mutex);
        finished = true;
        finished_cv.notify_all();
      });
      std::unique_lock<std::mutex> lock(mutex);
      while (!finished) {
        finished_cv.wait_for(lock, std::chrono::milliseconds(100));
        if (finished) break;
        lock.unlock();
        {
          pybind11::gil_scoped_acquire gil;
          check_signals();
        }
        lock.lock();
      }
      lock.unlock();
      worker.join();
    }
    if (callback_error_) throw *callback_error_;
    if (failure) std::rethrow_exception(failure);
  }

 private:
  std::atomic<bool> cancel_{false};
  std::optional<pybind11::error_already_set> callback_error_;
};

}  // namespace nbexec::python
