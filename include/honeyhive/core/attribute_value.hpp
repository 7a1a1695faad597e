#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "honeyhive/core/attribute_key.hpp"

namespace honeyhive {

// An OpenTelemetry attribute value: a scalar or a homogeneous array of scalars.
// The variant index order is part of the ABI of the encoders; append only.
using AttributeValue = std::variant<bool, std::int64_t, double, std::string, std::vector<bool>,
                                    std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>>;

// One key/value pair as stored on a span, event or link. The key reads as a std::string_view and
// converts to std::string; its copies share its text (see AttributeKey).
struct Attribute {
  AttributeKey key;
  AttributeValue value;

  friend bool operator==(const Attribute& a, const Attribute& b) { return a.key == b.key && a.value == b.value; }
};

using Attributes = std::vector<Attribute>;

// Builds an AttributeValue from the natural C++ spellings (string literals, any integer,
// float, std::string_view, vectors) without surprising conversions: a `const char*`
// becomes a string, never a bool; unsigned values above INT64_MAX become decimal strings.
template <class T>
AttributeValue make_attribute_value(T&& value) {
  using U = std::decay_t<T>;
  if constexpr (std::is_same_v<U, AttributeValue>) {
    return std::forward<T>(value);
  } else if constexpr (std::is_same_v<U, bool>) {
    return AttributeValue{value};
  } else if constexpr (std::is_integral_v<U> && std::is_unsigned_v<U>) {
    if (static_cast<std::uint64_t>(value) > static_cast<std::uint64_t>(INT64_MAX)) {
      return AttributeValue{std::to_string(value)};
    }
    return AttributeValue{static_cast<std::int64_t>(value)};
  } else if constexpr (std::is_integral_v<U>) {
    return AttributeValue{static_cast<std::int64_t>(value)};
  } else if constexpr (std::is_floating_point_v<U>) {
    return AttributeValue{static_cast<double>(value)};
  } else if constexpr (std::is_array_v<std::remove_reference_t<T>>) {
    static_assert(std::is_same_v<std::remove_cv_t<std::remove_extent_t<std::remove_reference_t<T>>>, char>,
                  "only character arrays (string literals) are attribute values");
    return AttributeValue{std::string(value)};
  } else if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*>) {
    return AttributeValue{std::string(value == nullptr ? "" : value)};
  } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
    return AttributeValue{std::string(std::string_view(value))};
  } else if constexpr (std::is_same_v<U, std::vector<bool>> || std::is_same_v<U, std::vector<std::int64_t>> ||
                       std::is_same_v<U, std::vector<double>> || std::is_same_v<U, std::vector<std::string>>) {
    return AttributeValue{std::forward<T>(value)};
  } else if constexpr (std::is_same_v<U, std::vector<int>> || std::is_same_v<U, std::vector<long>>) {
    return AttributeValue{std::vector<std::int64_t>(value.begin(), value.end())};
  } else if constexpr (std::is_same_v<U, std::vector<float>>) {
    return AttributeValue{std::vector<double>(value.begin(), value.end())};
  } else if constexpr (std::is_same_v<U, std::vector<const char*>> ||
                       std::is_same_v<U, std::vector<std::string_view>>) {
    std::vector<std::string> out;
    out.reserve(value.size());
    for (const auto& s : value) out.emplace_back(s);
    return AttributeValue{std::move(out)};
  } else {
    static_assert(sizeof(U) == 0,
                  "not an attribute value: use Span::set_structured for JSON, maps and types with to_json");
  }
}

}  // namespace honeyhive
