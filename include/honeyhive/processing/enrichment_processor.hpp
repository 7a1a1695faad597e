#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "honeyhive/core/spin_mutex.hpp"
#include "honeyhive/processing/span_processor.hpp"

namespace honeyhive {

// The tracer's own values, used when the parent's baggage does not say otherwise.
struct EnrichmentDefaults {
  std::string tracer_id;
  std::string session_id;
  std::string project;
  std::string source;
};

// Copies HoneyHive context from baggage onto every span at start, with the attribute names the
// HoneyHive backend reads (from the reference Python SDK's span processor; docs/honeyhive-attributes.md):
//   session_id -> honeyhive.session_id + traceloop.association.properties.session_id
//   project    -> honeyhive.project    + traceloop.association.properties.project
//   source     -> honeyhive.source     + traceloop.association.properties.source
//   parent_id  -> honeyhive.parent_id  + traceloop.association.properties.parent_id
//   run_id, dataset_id, datapoint_id -> honeyhive_metadata.run_id / .dataset_id / .datapoint_id
//   any other key k -> baggage.k
// project is the tracer's own (a span is routed by the tracer that made it); session_id, source and
// parent_id come from baggage unless that baggage belongs to another tracer of this process. Inbound baggage
// reaches here already filtered by the propagator's trust policy. Thread-safe.
class EnrichmentProcessor final : public SpanProcessor {
 public:
  explicit EnrichmentProcessor(EnrichmentDefaults defaults);

  void on_start(SpanRef& span, const Context& parent) noexcept override;
  void on_end(const SpanDataPtr& span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  // A new session of the tracer (start_session).
  void set_session_id(std::string session_id);
  EnrichmentDefaults defaults() const;

  // For pthread_atfork handlers only: held across fork() so the child never inherits it locked.
  void lock_for_fork() noexcept { mutex_.lock(); }
  void unlock_after_fork() noexcept { mutex_.unlock(); }

 private:
  // Guards defaults_ (replaced whole, read as a shared snapshot at every span start: a spin lock,
  // as a std::mutex's lock and unlock would cost more than the copy they guard).
  mutable detail::SpinMutex mutex_;
  std::shared_ptr<const EnrichmentDefaults> defaults_;
};

}  // namespace honeyhive
