#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "honeyhive/core/ids.hpp"
#include "honeyhive/core/trace_state.hpp"

namespace honeyhive {

// W3C trace-flags; bit 0 is "sampled", bit 1 (Trace Context Level 2) "random trace id".
struct TraceFlags {
  static constexpr std::uint8_t kSampled = 0x01;
  static constexpr std::uint8_t kRandom = 0x02;
  std::uint8_t value = 0;

  bool sampled() const noexcept { return (value & kSampled) != 0; }
  bool random() const noexcept { return (value & kRandom) != 0; }
  friend bool operator==(TraceFlags a, TraceFlags b) noexcept { return a.value == b.value; }
};

// The part of a span that crosses process boundaries: ids, flags, trace state, and whether it
// was received from elsewhere (remote). Cheap to copy (the trace state is shared).
class SpanContext {
 public:
  SpanContext() = default;
  SpanContext(TraceId trace_id, SpanId span_id, TraceFlags flags, bool remote,
              std::shared_ptr<const TraceState> trace_state = nullptr) noexcept
      : trace_id_(trace_id), span_id_(span_id), flags_(flags), remote_(remote), trace_state_(std::move(trace_state)) {}

  const TraceId& trace_id() const noexcept { return trace_id_; }
  const SpanId& span_id() const noexcept { return span_id_; }
  TraceFlags flags() const noexcept { return flags_; }
  bool is_sampled() const noexcept { return flags_.sampled(); }
  bool is_remote() const noexcept { return remote_; }
  // Valid when both ids are non-zero (W3C Trace Context section 3.2.2).
  bool is_valid() const noexcept { return trace_id_.is_valid() && span_id_.is_valid(); }
  // Never null: an empty state when none was set.
  const TraceState& trace_state() const noexcept;
  const std::shared_ptr<const TraceState>& trace_state_ptr() const noexcept { return trace_state_; }

  friend bool operator==(const SpanContext& a, const SpanContext& b) noexcept {
    return a.trace_id_ == b.trace_id_ && a.span_id_ == b.span_id_ && a.flags_ == b.flags_ && a.remote_ == b.remote_;
  }

 private:
  TraceId trace_id_;
  SpanId span_id_;
  TraceFlags flags_;
  bool remote_ = false;
  std::shared_ptr<const TraceState> trace_state_;
};

}  // namespace honeyhive
