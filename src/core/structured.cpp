#include "honeyhive/core/structured.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "core/json_depth.hpp"
#include "core/structured_sink.hpp"

namespace honeyhive {
namespace {

using json = nlohmann::json;

bool contains_non_finite(const json& value) {
  if (value.is_number_float()) return !std::isfinite(value.get<double>());
  if (value.is_structured()) {
    for (const auto& item : value) {
      if (contains_non_finite(item)) return true;
    }
  }
  return false;
}

std::string to_json_text_safe(const json& value) {
  if (!contains_non_finite(value)) return detail::json_text(value);
  // Rare path: rebuild with non-finite numbers as strings so no value turns silently into null.
  std::function<json(const json&)> rewrite = [&](const json& v) -> json {
    if (v.is_number_float() && !std::isfinite(v.get<double>())) return detail::non_finite_text(v.get<double>());
    if (v.is_object()) {
      json out = json::object();
      for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = rewrite(it.value());
      return out;
    }
    if (v.is_array()) {
      json out = json::array();
      for (const auto& item : v) out.push_back(rewrite(item));
      return out;
    }
    return v;
  };
  return detail::json_text(rewrite(value));
}

std::size_t container_depth(const json& value, std::size_t limit) {
  if (!value.is_structured() || limit == 0) return value.is_structured() ? 1 : 0;
  std::size_t deepest = 0;
  for (const auto& item : value) {
    const std::size_t d = container_depth(item, limit - 1);
    if (d > deepest) deepest = d;
  }
  return deepest + 1;
}

bool fits_int64(const json& item) {
  return item.is_number_integer() &&
         (!item.is_number_unsigned() || item.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX));
}

// An OTel homogeneous array when every element is a scalar of one kind, otherwise nullopt.
std::optional<AttributeValue> homogeneous_array(const json& array) {
  if (array.empty()) return AttributeValue{std::vector<std::string>{}};
  bool all_bool = true, all_int = true, all_number = true, all_string = true;
  for (const auto& item : array) {
    all_bool = all_bool && item.is_boolean();
    all_int = all_int && fits_int64(item);
    all_number = all_number && (fits_int64(item) || (item.is_number_float() && std::isfinite(item.get<double>())));
    all_string = all_string && item.is_string();
  }
  if (all_bool) {
    std::vector<bool> out;
    out.reserve(array.size());
    for (const auto& item : array) out.push_back(item.get<bool>());
    return AttributeValue{std::move(out)};
  }
  if (all_int) {
    std::vector<std::int64_t> out;
    out.reserve(array.size());
    for (const auto& item : array) out.push_back(item.get<std::int64_t>());
    return AttributeValue{std::move(out)};
  }
  if (all_number) {
    std::vector<double> out;
    out.reserve(array.size());
    for (const auto& item : array) out.push_back(item.get<double>());
    return AttributeValue{std::move(out)};
  }
  if (all_string) {
    std::vector<std::string> out;
    out.reserve(array.size());
    for (const auto& item : array) out.push_back(item.get<std::string>());
    return AttributeValue{std::move(out)};
  }
  return std::nullopt;
}

// Appends every leaf to a list of attributes (the public flatten_structured).
class AppendingSink {
 public:
  explicit AppendingSink(Attributes& out) : out_(out) {}
  void leaf(std::string_view key, AttributeValue&& value) {
    out_.push_back(Attribute{std::string(key), std::move(value)});
  }
  void text_leaf(std::string_view key, std::string_view text) { leaf(key, AttributeValue{std::string(text)}); }
  void array_leaf(std::string_view key, const json& array, std::size_t depth_left) {
    leaf(key, detail::array_leaf_value(array, depth_left));
  }
  void bool_leaf(std::string_view key, bool value) { leaf(key, AttributeValue{value}); }
  void int_leaf(std::string_view key, std::int64_t value) { leaf(key, AttributeValue{value}); }
  void double_leaf(std::string_view key, double value) { leaf(key, AttributeValue{value}); }

 private:
  Attributes& out_;
};

// out[first, end) holds one attribute per leaf of one value. Leaves whose keys are the same (member
// names are joined with '.' as they are: {"a.b": 1, "a": {"b": 2}}) become one attribute, in the
// first's place with the last's value, as set_structured leaves them on a span.
void keep_last_of_each_key(Attributes& out, std::size_t first) {
  const std::size_t n = out.size() - first;
  if (n < 2) return;
  // The leaves by key, and in order among the same key.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), first);
  std::sort(order.begin(), order.end(), [&out](std::size_t a, std::size_t b) {
    const int compared = out[a].key.compare(out[b].key);
    return compared < 0 || (compared == 0 && a < b);
  });
  std::vector<bool> replaced;  // by index - first; sized at the first key met twice
  for (std::size_t group = 0; group < n;) {
    const std::size_t place = order[group];
    std::size_t end = group + 1;
    for (; end < n && out[order[end]].key == out[place].key; ++end) {
      if (replaced.empty()) replaced.resize(n);
      replaced[order[end] - first] = true;
    }
    if (end - group > 1) out[place].value = std::move(out[order[end - 1]].value);
    group = end;
  }
  if (replaced.empty()) return;
  std::size_t kept = first;
  for (std::size_t i = first; i < out.size(); ++i) {
    if (replaced[i - first]) continue;
    if (kept != i) out[kept] = std::move(out[i]);
    ++kept;
  }
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(kept), out.end());
}

}  // namespace

AttributeValue detail::array_leaf_value(const json& array, std::size_t depth_left) {
  if (auto homogeneous = homogeneous_array(array)) return std::move(*homogeneous);
  // Mixed or nested: its JSON text, unless it nests deeper than the depth left.
  if (container_depth(array, depth_left + 1) > depth_left) return AttributeValue{std::string(kMaxDepthMarker)};
  return AttributeValue{to_json_text_safe(array)};
}

std::string detail::unsigned_text(std::uint64_t value) { return std::to_string(value); }

std::string detail::non_finite_text(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "Infinity" : "-Infinity";
}

// The JSON text of `value`; invalid UTF-8 in strings is replaced rather than thrown on. (Non-finite
// numbers would print as null: to_json_text_safe spells them as strings first.)
std::string detail::json_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

void flatten_structured(std::string_view prefix, const json& value, std::size_t max_depth, Attributes& out) {
  // The walk recurses once per level: kMaxJsonDepth at most, as SpanRef::set_structured does.
  if (max_depth > detail::kMaxJsonDepth) max_depth = detail::kMaxJsonDepth;
  const std::size_t first = out.size();
  AppendingSink sink(out);
  detail::KeyBuffer key(prefix);
  detail::flatten_into(key, value, max_depth, sink);
  keep_last_of_each_key(out, first);
}

}  // namespace honeyhive
