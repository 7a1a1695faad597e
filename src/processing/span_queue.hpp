#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "honeyhive/core/span_data.hpp"

namespace honeyhive::detail {

// Bounded multi-producer / single-consumer queue of finished spans (D. Vyukov's bounded MPMC
// algorithm: each cell carries a sequence number, producers claim a position with one CAS).
// try_push never blocks and never allocates; it fails when the queue is full or closed.
class SpanQueue {
 public:
  explicit SpanQueue(std::size_t capacity);
  SpanQueue(const SpanQueue&) = delete;
  SpanQueue& operator=(const SpanQueue&) = delete;

  bool try_push(const SpanDataPtr& span) noexcept;
  // Single consumer only. Moves the oldest span into `out` (which is to be empty).
  bool try_pop(SpanDataPtr& out) noexcept {
    const std::uint64_t position = dequeue_position_.load(std::memory_order_relaxed);
    Cell& cell = cells_[index(position)];
    const std::uint64_t sequence = cell.sequence.load(std::memory_order_acquire);
    if (static_cast<std::int64_t>(sequence - (position + 1)) < 0) return false;  // empty, or not yet published
    out = std::move(cell.span);                                                  // leaves the cell empty
    cell.sequence.store(position + capacity_, std::memory_order_release);
    dequeue_position_.store(position + 1, std::memory_order_release);
    return true;
  }

  // Positions claimed by producers so far (monotonic); a flush waits until the consumer passes it.
  std::uint64_t claimed() const noexcept { return enqueue_position_.load(std::memory_order_acquire) & ~kClosed; }
  std::uint64_t consumed() const noexcept { return dequeue_position_.load(std::memory_order_acquire); }
  std::size_t size() const noexcept;

  // Closes the queue for good: every try_push after this returns false. Returns the positions
  // claimed before it, which no producer can add to any more (a producer may still be writing
  // one of them: see unpublished_from()). Shutdown closes the queue instead of counting the producers
  // inside try_push, which took two atomic operations per span.
  std::uint64_t close() noexcept { return enqueue_position_.fetch_or(kClosed, std::memory_order_seq_cst) & ~kClosed; }
  // The first position from `from` up to `end` (at most claimed()) that its producer has not yet
  // written, or `end` when every one has been (and may since have been consumed). Reads each cell
  // in between: for shutdown, not per span; a caller waiting for a producer resumes from the
  // position returned.
  std::uint64_t unpublished_from(std::uint64_t from, std::uint64_t end) const noexcept;
  std::size_t capacity() const noexcept { return capacity_; }

  // In a fork() child, before any other thread exists: empties the queue (closed if it was). The
  // parent's spans are abandoned, not released (a cell may have been half-written by a parent
  // thread at the fork).
  void reset_after_fork() noexcept;

 private:
  // The tests stop a producer between its claim and its write, and read the closed mark.
  friend struct SpanQueueTesting;

  struct Cell {
    std::atomic<std::uint64_t> sequence{0};
    SpanDataPtr span;
  };
  std::size_t index(std::uint64_t position) const noexcept {
    return mask_ != 0 ? static_cast<std::size_t>(position & mask_) : static_cast<std::size_t>(position % capacity_);
  }

  // The top bit of enqueue_position_: the queue is closed. (Positions never come near it: 2^63
  // spans.) A producer's compare-exchange fails once it is set, so no position is claimed after.
  static constexpr std::uint64_t kClosed = std::uint64_t{1} << 63;

  const std::size_t capacity_;
  const std::uint64_t mask_;  // capacity - 1 when a power of two, else 0 (then modulo)
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<std::uint64_t> enqueue_position_{0};
  alignas(64) std::atomic<std::uint64_t> dequeue_position_{0};
};

}  // namespace honeyhive::detail
