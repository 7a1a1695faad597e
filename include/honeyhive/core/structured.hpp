#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "honeyhive/core/attribute_value.hpp"

namespace honeyhive {

// The marker set in place of a value nested deeper than the flattening depth limit.
inline constexpr const char* kMaxDepthMarker = "[max depth exceeded]";

// Flattens a structured value into dotted attribute keys under `prefix`, appending to `out`:
// - objects recurse: {"user":{"id":1}} under "m" gives m.user.id = 1 (an empty object gives "{}");
// - arrays of one scalar type stay OTel arrays (ints mixed with doubles become doubles);
//   other arrays (objects, nested arrays, mixed types, nulls) become one JSON string;
// - NaN and +/-Inf become the strings "NaN", "Infinity", "-Infinity";
// - unsigned integers above INT64_MAX become decimal strings; nulls are skipped;
// - containers nested deeper than `max_depth` levels (at most 256, whatever is asked: the walk
//   recurses once per level) are replaced by kMaxDepthMarker.
// An empty prefix puts top-level object keys at the root. Names are joined with '.' as they are, so
// two leaves may flatten to the same key ({"a.b": 1, "a": {"b": 2}} under "m" gives m.a.b twice):
// they give one attribute, in the first's place with the value of the last in the walk (members go
// in key order), as SpanRef::set_structured keeps it (which also counts the others as dropped and
// reports them). Attributes already in `out` are left as they are. Does not throw on any json input
// except std::bad_alloc.
void flatten_structured(std::string_view prefix, const nlohmann::json& value, std::size_t max_depth, Attributes& out);

}  // namespace honeyhive
