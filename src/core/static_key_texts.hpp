#pragma once

// Text attributes under keys that are string literals (internal; src/core/span.cpp).
#include <cstddef>
#include <string_view>

#include "honeyhive/core/span.hpp"

namespace honeyhive::detail {

// A key that is a string literal (static storage, never written), its text without the terminating
// NUL. Made only from an array of const characters: not from a std::string or a view of one, whose
// buffer may be freed and then reused for another key of the same length (StaticKeyTexts would take
// that key for the one remembered at the address).
class LiteralKey {
 public:
  template <std::size_t N>
  constexpr LiteralKey(const char (&literal)[N]) noexcept  // NOLINT(google-explicit-constructor)
      : data_(literal), size_(N - 1) {
    static_assert(N > 0, "a string literal");
  }
  template <std::size_t N>
  LiteralKey(char (&)[N]) = delete;  // a writable array is not a literal

  constexpr std::string_view view() const noexcept { return {data_, size_}; }

 private:
  const char* data_;
  std::size_t size_;
};

// One text attribute under a literal key; the value is the caller's, as in TextAttribute.
struct LiteralKeyText {
  LiteralKey key;
  std::string_view value;
};

struct StaticKeyTexts {
  // SpanRef::set_attribute_texts for keys that are string literals: a key written into the next slot
  // in sequence is remembered by its address (SpanState::slot_static_keys), and the next span writing
  // the same literal there finds it equal by that address instead of comparing its bytes. The
  // tracer's own keys (event type and name, the enrichment's) are such literals.
  static void write(const SpanRef& span, const LiteralKeyText* attributes, std::size_t count) noexcept;

  // SpanRef::set_attribute_text for an attribute of less weight than those still to come (the
  // enrichment's baggage.* copies, written before the tracer's event type and name): a new key is
  // added only while `kept_free` slots stay free below the span's attribute count limit; otherwise
  // it is dropped and counted in dropped_attributes_count. A key the span has is written over.
  static void write_leaving_room(const SpanRef& span, std::string_view key, std::string_view value,
                                 std::size_t kept_free) noexcept;
};

}  // namespace honeyhive::detail
