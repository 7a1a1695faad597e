#pragma once

// Test support: ids from hex literals the test knows are valid.
#include "honeyhive/core/ids.hpp"

namespace honeyhive::test {

inline TraceId trace_id(const char* hex) { return *TraceId::from_hex(hex); }
inline SpanId span_id(const char* hex) { return *SpanId::from_hex(hex); }

}  // namespace honeyhive::test
