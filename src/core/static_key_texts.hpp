#pragma once

// Text attributes under keys that are string literals (internal; src/core/span.cpp).
#include <cstddef>

#include "honeyhive/core/span.hpp"

namespace honeyhive::detail {

struct StaticKeyTexts {
  // SpanRef::set_attribute_texts for keys that are all string literals (static storage, never
  // written): a key written into the next slot in sequence is remembered by its address
  // (SpanState::slot_static_keys), and the next span writing the same literal there finds it equal
  // by that address instead of comparing its bytes. The tracer's own keys (event type and name,
  // the enrichment's) are such literals.
  static void write(const SpanRef& span, const TextAttribute* attributes, std::size_t count) noexcept;
};

}  // namespace honeyhive::detail
