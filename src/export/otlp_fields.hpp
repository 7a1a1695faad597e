#pragma once

// OTLP field numbers from opentelemetry-proto (collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto): one table for the
// protobuf encoder (otlp_proto.cpp) and decoder (otlp_decode_proto.cpp).
#include <cstdint>

namespace honeyhive::detail::otlp_field {
constexpr std::uint32_t kRequestResourceSpans = 1;
constexpr std::uint32_t kResourceSpansResource = 1, kResourceSpansScopeSpans = 2;
constexpr std::uint32_t kResourceAttributes = 1;  // dropped_attributes_count (2): a Resource drops nothing
constexpr std::uint32_t kScopeSpansScope = 1, kScopeSpansSpans = 2;
constexpr std::uint32_t kScopeName = 1, kScopeVersion = 2;
constexpr std::uint32_t kSpanTraceId = 1, kSpanSpanId = 2, kSpanTraceState = 3, kSpanParentSpanId = 4, kSpanName = 5,
                        kSpanKind = 6, kSpanStart = 7, kSpanEnd = 8, kSpanAttributes = 9, kSpanDroppedAttributes = 10,
                        kSpanEvents = 11, kSpanDroppedEvents = 12, kSpanLinks = 13, kSpanDroppedLinks = 14,
                        kSpanStatus = 15, kSpanFlags = 16;
constexpr std::uint32_t kEventTime = 1, kEventName = 2, kEventAttributes = 3, kEventDroppedAttributes = 4;
constexpr std::uint32_t kLinkTraceId = 1, kLinkSpanId = 2, kLinkTraceState = 3, kLinkAttributes = 4,
                        kLinkDroppedAttributes = 5, kLinkFlags = 6;
constexpr std::uint32_t kStatusMessage = 2, kStatusCode = 3;
constexpr std::uint32_t kKeyValueKey = 1, kKeyValueValue = 2;
constexpr std::uint32_t kAnyString = 1, kAnyBool = 2, kAnyInt = 3, kAnyDouble = 4, kAnyArray = 5, kAnyKvList = 6,
                        kAnyBytes = 7;
constexpr std::uint32_t kArrayValues = 1, kKvListValues = 1;
constexpr std::uint32_t kResponsePartialSuccess = 1, kPartialRejected = 1, kPartialMessage = 2;
}  // namespace honeyhive::detail::otlp_field
