#include "core/json_depth.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "honeyhive/core/structured.hpp"

namespace honeyhive::detail {
namespace {

using json = nlohmann::json;

// `value` with containers below `depth_left` more levels replaced by the marker. Recurses at most
// kMaxJsonDepth deep (the caller clamps depth_left).
json copy_cut(const json& value, std::size_t depth_left) {
  if (!value.is_structured()) return value;
  if (depth_left == 0) return json(kMaxDepthMarker);
  if (value.is_object()) {
    json out = json::object();
    for (auto it = value.begin(); it != value.end(); ++it) out[it.key()] = copy_cut(it.value(), depth_left - 1);
    return out;
  }
  json out = json::array();
  for (const auto& item : value) out.push_back(copy_cut(item, depth_left - 1));
  return out;
}

}  // namespace

bool nests_deeper_than(const json& value, std::size_t max_depth) {
  // Each entry: a container and the levels it nests at (1 for the value itself).
  std::vector<std::pair<const json*, std::size_t>> pending;
  if (value.is_structured()) pending.emplace_back(&value, 1);
  while (!pending.empty()) {
    const auto [container, depth] = pending.back();
    pending.pop_back();
    if (depth > max_depth) return true;
    for (const auto& item : *container) {
      if (item.is_structured()) pending.emplace_back(&item, depth + 1);
    }
  }
  return false;
}

json copy_within_depth(const json& value, std::size_t max_depth) {
  const std::size_t depth = std::min(max_depth, kMaxJsonDepth);
  if (!nests_deeper_than(value, depth)) return value;
  return copy_cut(value, depth);
}

json copy_within_depth(json&& value, std::size_t max_depth) {
  const std::size_t depth = std::min(max_depth, kMaxJsonDepth);
  if (!nests_deeper_than(value, depth)) return std::move(value);
  return copy_cut(value, depth);
}

bool text_nests_at_most(std::string_view text, std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace honeyhive::detail
