#include "processing/span_queue.hpp"

#include <new>

namespace honeyhive::detail {

SpanQueue::SpanQueue(std::size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity),
      mask_((capacity_ & (capacity_ - 1)) == 0 ? capacity_ - 1 : 0),
      cells_(std::make_unique<Cell[]>(capacity_)) {
  for (std::size_t i = 0; i < capacity_; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
}

void SpanQueue::reset_after_fork() noexcept {
  for (std::size_t i = 0; i < capacity_; ++i) {
    new (&cells_[i].span) SpanDataPtr();  // NOLINT: the old value is abandoned on purpose
    cells_[i].sequence.store(i, std::memory_order_relaxed);
  }
  enqueue_position_.store(enqueue_position_.load(std::memory_order_relaxed) & kClosed, std::memory_order_relaxed);
  dequeue_position_.store(0, std::memory_order_relaxed);
}

bool SpanQueue::try_push(const SpanDataPtr& span) noexcept {
  std::uint64_t position = enqueue_position_.load(std::memory_order_relaxed);
  Cell* cell;
  for (;;) {
    if ((position & kClosed) != 0) return false;
    cell = &cells_[index(position)];
    const std::uint64_t sequence = cell->sequence.load(std::memory_order_acquire);
    const auto difference = static_cast<std::int64_t>(sequence - position);
    if (difference == 0) {
      if (enqueue_position_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) break;
    } else if (difference < 0) {
      return false;  // the cell still holds a span from one lap ago: full
    } else {
      position = enqueue_position_.load(std::memory_order_relaxed);
    }
  }
  cell->span = span;
  cell->sequence.store(position + 1, std::memory_order_release);
  return true;
}

std::uint64_t SpanQueue::unpublished_from(std::uint64_t from, std::uint64_t end) const noexcept {
  for (std::uint64_t position = from; position < end; ++position) {
    const std::uint64_t sequence = cells_[index(position)].sequence.load(std::memory_order_acquire);
    // position + 1 once published; position + capacity once consumed (and more, laps later).
    if (static_cast<std::int64_t>(sequence - (position + 1)) < 0) return position;
  }
  return end;
}

std::size_t SpanQueue::size() const noexcept {
  const std::uint64_t tail = consumed();
  const std::uint64_t head = claimed();
  return head > tail ? static_cast<std::size_t>(head - tail) : 0;
}

}  // namespace honeyhive::detail
