#pragma once

#include <cstdint>

namespace honeyhive {

// HoneyHive event types, recorded as honeyhive_event_type.
enum class EventType : std::uint8_t { session, chain, model, tool };

const char* to_string(EventType type) noexcept;

}  // namespace honeyhive
