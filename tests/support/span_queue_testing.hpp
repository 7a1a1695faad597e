#pragma once

// A producer of the batch processor's queue stopped between its two steps: a position claimed,
// its span not yet written (src/processing/span_queue.hpp names this struct its friend).
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
};

}  // namespace honeyhive::detail
