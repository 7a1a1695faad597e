#pragma once

// An exporter's lock taken within a flush's or shutdown's budget (internal).
#include <chrono>
#include <mutex>

namespace honeyhive::detail {

// Locks `mutex` within `timeout`: false when it is still held then (an export stuck writing to a
// blocked pipe or terminal, a FIFO without a reader, a hung network file system), so that
// force_flush and shutdown keep their budget instead of waiting for that write. A timeout of 0 or
// less tries once; one of a year or more waits as long as it takes.
inline bool lock_within(std::timed_mutex& mutex, std::chrono::milliseconds timeout) noexcept {
  try {
    if (timeout.count() <= 0) return mutex.try_lock();
    if (timeout >= std::chrono::hours(24 * 365)) {
      mutex.lock();
      return true;
    }
    return mutex.try_lock_for(timeout);
  } catch (...) {
    return false;  // std::system_error from lock()
  }
}

}  // namespace honeyhive::detail
