#pragma once

// The baggage keys HoneyHive reserves (internal), in one list: the enrichment processor turns each
// into attributes of its own (any other key is copied as "baggage.<key>"), and the baggage
// propagator decides by them what an inbound header may set (BaggageKeyClass).
#include <string_view>

namespace honeyhive::detail {

enum ReservedBaggageKey : unsigned {
  kBaggageSessionId,    // "session_id"
  kBaggageProject,      // "project"
  kBaggageSource,       // "source"
  kBaggageParentId,     // "parent_id"
  kBaggageRunId,        // "run_id"
  kBaggageDatasetId,    // "dataset_id"
  kBaggageDatapointId,  // "datapoint_id"
  kBaggageTracerId,     // "honeyhive_tracer_id"
  kBaggageSessionName,  // "session_name"
  kReservedBaggageKeys,
  kNotReservedBaggage = kReservedBaggageKeys
};

// Which reserved key `key` is (kNotReservedBaggage: none), by its length first: one comparison at
// most.
inline ReservedBaggageKey reserved_baggage_key(std::string_view key) noexcept {
  switch (key.size()) {
    case 6:
      if (key == "source") return kBaggageSource;
      if (key == "run_id") return kBaggageRunId;
      break;
    case 7:
      if (key == "project") return kBaggageProject;
      break;
    case 9:
      if (key == "parent_id") return kBaggageParentId;
      break;
    case 10:
      if (key == "session_id") return kBaggageSessionId;
      if (key == "dataset_id") return kBaggageDatasetId;
      break;
    case 12:
      if (key == "datapoint_id") return kBaggageDatapointId;
      if (key == "session_name") return kBaggageSessionName;
      break;
    case 19:
      if (key == "honeyhive_tracer_id") return kBaggageTracerId;
      break;
    default: break;
  }
  return kNotReservedBaggage;
}

}  // namespace honeyhive::detail
