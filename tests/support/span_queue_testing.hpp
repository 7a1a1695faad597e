#pragma once

// A producer of the batch processor's queue stopped between its two steps: a position claimed,
// its span not yet written; and what only the tests read of the queue: its closed mark, and
// whether its producers have written every position claimed (src/processing/span_queue.hpp names
// this struct its friend).
#include <atomic>
#include <cstdint>
#include <utility>

#include "honeyhive/core/span_data.hpp"
#include "processing/span_queue.hpp"

namespace honeyhive::detail {

struct SpanQueueTesting {
  // Claims the next position, as try_push's compare-exchange does, and writes nothing.
  static std::uint64_t claim(SpanQueue& queue) { return queue.enqueue_position_.fetch_add(1); }
  // Writes `span` into the claimed `position`, as try_push does after its claim.
  static void write(SpanQueue& queue, std::uint64_t position, SpanDataPtr span) {
    SpanQueue::Cell& cell = queue.cells_[queue.index(position)];
    cell.span = std::move(span);
    cell.sequence.store(position + 1, std::memory_order_release);
  }
  // Whether the queue is closed (its mark on the enqueue position).
  static bool closed(const SpanQueue& queue) {
    return (queue.enqueue_position_.load(std::memory_order_acquire) & SpanQueue::kClosed) != 0;
  }
  // Whether every position before `end` has been written by its producer (or consumed since).
  static bool published(const SpanQueue& queue, std::uint64_t end) {
    return queue.unpublished_from(queue.consumed(), end) == end;
  }
};

}  // namespace honeyhive::detail
