#pragma once

// Flattening a structured value straight into its destination (the span's attributes), without a
// temporary list of attributes and a second copy of every key (internal).
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "honeyhive/core/attribute_value.hpp"

namespace honeyhive::detail {

// Receives the leaves of a flattened value in order; `key` is only valid during the call.
class FlatSink {
 public:
  virtual void leaf(std::string_view key, AttributeValue&& value) = 0;
  // A string leaf, given as text the sink copies (the span's sink writes it into a recycled slot's
  // buffer, with no temporary string).
  virtual void text_leaf(std::string_view key, std::string_view text) { leaf(key, AttributeValue{std::string(text)}); }

 protected:
  ~FlatSink() = default;
};

// flatten_structured (honeyhive/core/structured.hpp), each leaf handed to `sink`.
void flatten_structured_to(std::string_view prefix, const nlohmann::json& value, std::size_t max_depth, FlatSink& sink);

}  // namespace honeyhive::detail
