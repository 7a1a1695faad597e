#pragma once

// How deep a user's JSON value may nest where this library copies, compares or dumps it (internal).
//
// nlohmann::json's copy, comparison and dump() recurse once per level of nesting, so a value nested
// 100,000 deep (a user's data, a model's output, a backend's answer) overflows the stack there.
// Flattening stops at SpanLimits::structured_max_depth on its own; the other places copy or dump
// the whole value, and check it with these first.
#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace honeyhive::detail {

// The deepest nesting kept wherever a whole value is copied or dumped, and the most
// SpanLimits::structured_max_depth flattens: deeper containers become kMaxDepthMarker.
inline constexpr std::size_t kMaxJsonDepth = 256;

// Whether the containers of `value` nest more than `max_depth` levels (a scalar nests 0 levels,
// [1] one, [[1]] two). Walks without recursion.
bool nests_deeper_than(const nlohmann::json& value, std::size_t max_depth);

// A copy of `value` whose containers nested more than `max_depth` levels (at most kMaxJsonDepth)
// are replaced by kMaxDepthMarker; a plain copy when none is.
nlohmann::json copy_within_depth(const nlohmann::json& value, std::size_t max_depth = kMaxJsonDepth);
// The same from a value that is no longer needed: moved, not copied, when nothing is cut.
nlohmann::json copy_within_depth(nlohmann::json&& value, std::size_t max_depth = kMaxJsonDepth);

// Whether the arrays and objects of the JSON text `text` nest at most `max_depth` levels (string
// literals skipped): a linear scan that says whether parsing the text is safe.
bool text_nests_at_most(std::string_view text, std::size_t max_depth = kMaxJsonDepth) noexcept;

}  // namespace honeyhive::detail
