#pragma once

// What the OTLP protobuf and JSON decoders share: limit accounting, error locations, and the mapping
// of OTLP AnyValues that SpanData cannot hold.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/core/attribute_value.hpp"
#include "honeyhive/core/trace_state.hpp"
#include "honeyhive/export/otlp_decode.hpp"

namespace honeyhive::detail {

// Counts what a request of `input_bytes` bytes decodes against OtlpDecodeLimits (its element budget
// scaled to its size) and remembers where the decoder is ("resource_spans[0].scope_spans[2].spans[7]")
// for error messages.
class DecodeBudget {
 public:
  DecodeBudget(const OtlpDecodeLimits& limits, std::size_t input_bytes)
      : limits_(limits), input_bytes_(input_bytes), max_elements_(limits.element_budget(input_bytes)) {}

  const OtlpDecodeLimits& limits() const noexcept { return limits_; }
  bool failed() const noexcept { return !error_.empty(); }
  const std::string& error() const noexcept { return error_; }
  // True when the first error was a limit passed (add_span, add_element, check_depth), not malformed input.
  bool limit_exceeded() const noexcept { return limit_exceeded_; }

  // False (and the error set, as a limit) once the limit is passed.
  bool add_span();
  bool add_element();
  // False when a value at `depth` (1 = an attribute's own value) is nested too deep.
  bool check_depth(std::size_t depth);

  // Records the first error only, prefixed with the current location.
  bool fail(const std::string& message);
  // The same for a limit passed.
  bool fail_limit(const std::string& message);

  void push(const char* name, std::size_t index) { path_.push_back({name, index}); }
  void pop() { path_.pop_back(); }

 private:
  struct Step {
    const char* name;
    std::size_t index;
  };
  OtlpDecodeLimits limits_;
  std::size_t input_bytes_;
  std::size_t max_elements_;
  std::size_t spans_ = 0;
  std::size_t elements_ = 0;
  std::vector<Step> path_;
  std::string error_;
  bool limit_exceeded_ = false;
};

// Enters a location for the lifetime of the guard.
class DecodeStep {
 public:
  DecodeStep(DecodeBudget& budget, const char* name, std::size_t index) : budget_(budget) { budget_.push(name, index); }
  ~DecodeStep() { budget_.pop(); }
  DecodeStep(const DecodeStep&) = delete;
  DecodeStep& operator=(const DecodeStep&) = delete;

 private:
  DecodeBudget& budget_;
};

// The attribute value of a decoded AnyValue that is an array or a key/value list (as JSON):
// a homogeneous array of strings, booleans, integers or doubles becomes the matching vector, an
// empty array an empty string vector, anything else its JSON text.
AttributeValue attribute_from_json(const nlohmann::json& value);

// A string from the wire with invalid UTF-8 repaired.
std::string valid_utf8(std::string_view text);

// RFC 4648 base64 with padding (how the protobuf JSON mapping writes bytes).
std::string base64_encode(std::string_view bytes);

// The W3C tracestate members of "k1=v1,k2=v2" (split only; OTLP carries the header text).
std::shared_ptr<const TraceState> parse_trace_state(std::string_view header);

}  // namespace honeyhive::detail
