#include "honeyhive/core/structured.hpp"

#include <cmath>
#include <functional>
#include <optional>
#include <string>

#include "core/structured_sink.hpp"

namespace honeyhive {
namespace {

using json = nlohmann::json;

std::string non_finite_name(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "Infinity" : "-Infinity";
}

// The JSON text of `value`; non-finite numbers would print as null, so spell them as strings.
// Invalid UTF-8 in strings is replaced rather than thrown on.
std::string to_json_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

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
  if (!contains_non_finite(value)) return to_json_text(value);
  // Rare path: rebuild with non-finite numbers as strings so no value turns silently into null.
  std::function<json(const json&)> rewrite = [&](const json& v) -> json {
    if (v.is_number_float() && !std::isfinite(v.get<double>())) return non_finite_name(v.get<double>());
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
  return to_json_text(rewrite(value));
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

std::optional<AttributeValue> scalar_value(const json& value) {
  switch (value.type()) {
    case json::value_t::boolean: return AttributeValue{value.get<bool>()};
    case json::value_t::number_integer: return AttributeValue{value.get<std::int64_t>()};
    case json::value_t::number_unsigned: {
      const auto u = value.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return AttributeValue{std::to_string(u)};
      return AttributeValue{static_cast<std::int64_t>(u)};
    }
    case json::value_t::number_float: {
      const double d = value.get<double>();
      if (!std::isfinite(d)) return AttributeValue{non_finite_name(d)};
      return AttributeValue{d};
    }
    case json::value_t::string: return AttributeValue{value.get<std::string>()};
    case json::value_t::binary: return AttributeValue{to_json_text(value)};
    default: return std::nullopt;
  }
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

void flatten(std::string& key, const json& value, std::size_t depth_left, detail::FlatSink& out) {
  if (value.is_null() || value.is_discarded()) return;
  if (value.is_string()) {
    out.text_leaf(key, value.get_ref<const std::string&>());
    return;
  }
  if (!value.is_structured()) {
    if (auto scalar = scalar_value(value)) out.leaf(key, std::move(*scalar));
    return;
  }
  if (depth_left == 0) {
    out.leaf(key, AttributeValue{std::string(kMaxDepthMarker)});
    return;
  }
  if (value.is_array()) {
    if (auto array = homogeneous_array(value)) {
      out.leaf(key, std::move(*array));
    } else if (container_depth(value, depth_left + 1) > depth_left) {
      out.leaf(key, AttributeValue{std::string(kMaxDepthMarker)});
    } else {
      out.leaf(key, AttributeValue{to_json_text_safe(value)});
    }
    return;
  }
  if (value.empty()) {
    out.leaf(key, AttributeValue{std::string("{}")});
    return;
  }
  const std::size_t base = key.size();
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (base > 0) key += '.';
    key += it.key();
    flatten(key, it.value(), depth_left - 1, out);
    key.resize(base);
  }
}

// Appends every leaf to a list of attributes (the public flatten_structured).
class AppendingSink final : public detail::FlatSink {
 public:
  explicit AppendingSink(Attributes& out) : out_(out) {}
  void leaf(std::string_view key, AttributeValue&& value) override {
    out_.push_back(Attribute{std::string(key), std::move(value)});
  }

 private:
  Attributes& out_;
};

}  // namespace

void detail::flatten_structured_to(std::string_view prefix, const json& value, std::size_t max_depth,
                                   detail::FlatSink& sink) {
  std::string key;
  // Room for the prefix and a couple of levels of keys: the key is extended and cut back in place.
  key.reserve(prefix.size() + 48);
  key.assign(prefix.data(), prefix.size());
  flatten(key, value, max_depth, sink);
}

void flatten_structured(std::string_view prefix, const json& value, std::size_t max_depth, Attributes& out) {
  AppendingSink sink(out);
  detail::flatten_structured_to(prefix, value, max_depth, sink);
}

}  // namespace honeyhive
