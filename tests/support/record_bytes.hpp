#pragma once

// Test support: the string bytes a span record keeps (src/core/span_record_pool.hpp), counted two
// ways.
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "core/span_state.hpp"

namespace honeyhive::test {

enum class RecordBytes {
  // Every string's capacity, its inline room included: what recycle() counts against its budget
  // (keep_text, keep_slot), and so what a record fresh from prepare_record_like() holds within it.
  counted,
  // Only the bytes on the heap (a string's inline room is not): what recycle() leaves a record within
  // kMaxKeptBytes. (A string recycle() freed still reports its inline room as capacity.)
  on_heap,
};

// The bytes of `state`'s name, status description, event names, and its slots' keys, string values
// and lists of strings (their buffers included).
inline std::size_t record_bytes(const detail::SpanState& state, RecordBytes how) {
  const std::size_t inline_room = std::string().capacity();
  // (A std::string or an AttributeKey: a key sharing its block with other keys counts it whole.)
  const auto bytes_of = [how, inline_room](const auto& text) -> std::size_t {
    if (how == RecordBytes::counted) return text.capacity();
    return text.capacity() > inline_room ? text.capacity() : 0;
  };
  std::size_t bytes = bytes_of(state.name) + bytes_of(state.status.description);
  for (const auto& event : state.events) bytes += bytes_of(event.name);
  for (const auto& slot : state.attributes) {
    bytes += bytes_of(slot.key);
    if (const auto* text = std::get_if<std::string>(&slot.value)) bytes += bytes_of(*text);
    if (const auto* texts = std::get_if<std::vector<std::string>>(&slot.value)) {
      bytes += texts->capacity() * sizeof(std::string);
      for (const auto& item : *texts) bytes += bytes_of(item);
    }
  }
  return bytes;
}

}  // namespace honeyhive::test
