#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/config/tracer_config.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/spin_mutex.hpp"
#include "honeyhive/core/tracer.hpp"
#include "honeyhive/export/span_exporter.hpp"
#include "honeyhive/tracer/event_type.hpp"

namespace honeyhive {

class EnrichmentProcessor;
class SpanProcessor;
namespace detail {
struct TracerForkHandlers;
}

// Options that are not configuration values: a custom exporter (tests, local backends), the
// content masking callback and the diagnostics sink.
struct TracerOptions {
  std::unique_ptr<SpanExporter> exporter;  // replaces the exporter the configuration would choose
  std::function<nlohmann::json(std::string_view field, const nlohmann::json& value)> mask;
  // Where this tracer's diagnostics go (its calls, its export thread): DiagnosticSink::make(callback),
  // DiagnosticSink::off(), ... Null: the process sink (stderr by default; see set_diagnostic_handler),
  // with debug lines too when verbose (HH_VERBOSE) is on.
  std::shared_ptr<DiagnosticSink> diagnostics;
  // Also print each trace as a tree on stdout (ConsoleExporter), whatever the exporter; the
  // embedded default prints it anyway. For demos and debugging.
  bool console_tree = false;
};

// The HoneyHive tracer: one per project/configuration, as many as you like in one process. Each
// owns its provider (resource, sampler, limits, processors, exporter). Thread-safe. No method throws.
class HoneyHiveTracer : public std::enable_shared_from_this<HoneyHiveTracer> {
 public:
  // Resolves the configuration (defaults < env < config < session < evaluation < overrides), picks
  // the exporter (API key -> HoneyHive OTLP endpoint, or with export_mode "events" the HoneyHive
  // Events API; an OTLP endpoint -> that endpoint; neither -> hh-local when it answers on
  // 127.0.0.1:hh_local_port (a probe of at most 200 ms, off with hh_local_detect = false), else the
  // embedded default: console tree + ./honeyhive-traces.jsonl), says which and why in one info
  // diagnostic and in config_report(), starts a session and registers the tracer. The first tracer
  // becomes the process default.
  static std::shared_ptr<HoneyHiveTracer> init(const TracerConfig& config = {}, const SessionConfig& session = {},
                                               const EvaluationConfig& evaluation = {},
                                               const TracerConfig& overrides = {}, TracerOptions options = {}) noexcept;
  ~HoneyHiveTracer();
  HoneyHiveTracer(const HoneyHiveTracer&) = delete;
  HoneyHiveTracer& operator=(const HoneyHiveTracer&) = delete;

  // Starts a typed span named `name` (honeyhive_event_type, honeyhive_event_name), child of the
  // current context, and makes it the active span of this thread until it ends (end it on this
  // thread, or call span.deactivate() here before another thread ends it). Its context carries this
  // tracer's id and session in baggage.
  Span start_span(std::string_view name, EventType type = EventType::tool) noexcept;
  // The same with options (kind, parent, start time, attributes, links).
  Span start_span(std::string_view name, EventType type, StartSpanOptions options) noexcept;

  // Runs fn in a span (passing the span when fn takes `Span&`), records a serializable return value
  // as honeyhive_outputs.result, records an exception as the error and rethrows it unchanged.
  template <class F>
  decltype(auto) trace(std::string_view name, EventType type, F&& fn);

  // Starts a new session (id from the config or a new UUID v4) and returns its id.
  std::string start_session(const SessionConfig& session = {}) noexcept;
  std::string session_id() const noexcept;  // "" when no session was started
  // Starts the event span of a session that runs beside the tracer's own (evaluate() opens one per
  // datapoint, on many threads at once) and activates it on this thread until it ends. Its context
  // carries this tracer, `session_id` and then `baggage` (which may override `source`), so every span
  // started under it, here or on a thread given it with bind_context, belongs to that session. The
  // tracer's current session is unchanged. `parent` is the context to start under (default: a new trace).
  Span start_session_span(std::string_view name, const std::string& session_id,
                          const std::vector<BaggageEntry>& baggage = {}, const Context& parent = Context()) noexcept;
  // Adds to the current session: a `session` span named "session_enrichment" carrying the fields,
  // linked to the session's event span and tagged with the session id. In events mode the exporter
  // turns it into PUT /v1/events/{session_id} (and the session's event span into POST /v1/sessions).
  void enrich_session(const struct Enrichment& enrichment) noexcept;

  const std::string& id() const noexcept { return id_; }
  const ResolvedConfig& config() const noexcept { return config_; }
  std::string config_report() const noexcept;  // "" only when out of memory
  nlohmann::json config_report_json() const noexcept;
  // "honeyhive-otlp https://.../opentelemetry/v1/traces (http/json)", "honeyhive-events https://.../v1/events/batch",
  // "otlp <url>", "hh-local http://127.0.0.1:4318/v1/traces (... auto-detected ...)", "embedded (... why ...)",
  // "disabled"; " + console tree" with TracerOptions::console_tree.
  const std::string& exporter_description() const noexcept { return exporter_description_; }

  // Exports every span ended so far; true when done in time. Without an argument the lifecycle
  // strategy's budget applies. After shutdown it returns false at once.
  bool flush() noexcept;
  bool flush(std::chrono::milliseconds timeout) noexcept;
  // Flushes (holding no lock), then stops the processors and exporters, all within `timeout` (default: the lifecycle
  // strategy's budget). Idempotent; safe from many threads at once (later callers wait, bounded, for the one running),
  // from an exporter callback (it does not wait for its own thread) and from an atexit handler. Afterwards every span
  // is a no-op. True when everything was exported and stopped in time.
  bool shutdown() noexcept;
  bool shutdown(std::chrono::milliseconds timeout) noexcept;
  bool shutdown_until(std::chrono::steady_clock::time_point deadline) noexcept;
  bool is_shut_down() const noexcept { return lifecycle_state_.load(std::memory_order_acquire) == kShutDown; }
  const std::shared_ptr<Provider>& provider() const noexcept { return provider_; }
  const std::shared_ptr<DiagnosticSink>& diagnostics() const noexcept { return diagnostics_; }

  struct Private;  // construction details (not part of the API)
  friend struct detail::TracerForkHandlers;
  HoneyHiveTracer(Private&&);

 private:
  template <class R>
  static void record_result(Span& span, const R& result) noexcept {
    if constexpr (std::is_same_v<R, nlohmann::json>) {
      record_json_result(span, result);
    } else if constexpr (std::is_constructible_v<nlohmann::json, const R&>) {
      nlohmann::json converted;
      try {
        converted = nlohmann::json(result);
      } catch (...) {
        record_to_json_failure(span);
        return;
      }
      record_json_result(span, std::move(converted));
    }
  }
  // Record `result` as the span's output "result", cut where it nests too deep to copy (the second
  // moves a conversion made for this in, rather than copying it again).
  static void record_json_result(Span& span, const nlohmann::json& result) noexcept;
  static void record_json_result(Span& span, nlohmann::json&& result) noexcept;
  // Records the output "result" as "[to_json failed]" and reports it.
  static void record_to_json_failure(Span& span) noexcept;

  static constexpr int kRunning = 0;
  static constexpr int kShuttingDown = 1;
  static constexpr int kShutDown = 2;

  std::string id_;
  ResolvedConfig config_;
  std::shared_ptr<DiagnosticSink> diagnostics_;
  std::atomic<int> lifecycle_state_{kRunning};
  std::mutex shutdown_mutex_;              // guards shutdown_result_, orders shutdown_done_
  std::condition_variable shutdown_done_;  // later shutdown callers wait here for the first
  bool shutdown_result_ = false;
  std::shared_ptr<Provider> provider_;
  std::shared_ptr<Tracer> tracer_;
  EnrichmentProcessor* enrichment_ = nullptr;  // owned by provider_
  // The processor that exports (batch or simple; owned by provider_); null with no exporter.
  SpanProcessor* exporting_ = nullptr;
  std::string exporter_description_;
  // Guards session_id_, session_span_ and session_spans_; taken at every span start for a few loads,
  // so a spin lock (std::mutex's lock and unlock cost more than that work).
  mutable detail::SpinMutex session_mutex_;
  std::string session_id_;
  SpanContext session_span_;
  // The latest session spans this tracer started (start_session, start_session_span), oldest first:
  // their children's events hang under the session id, the id of the session event in events mode.
  static constexpr std::size_t kRecentSessionSpans = 256;
  std::deque<SpanContext> session_spans_;
  // The baggage start_span puts on a context that has none (this tracer's id, session, source,
  // project, evaluation ids), built once per session instead of once per span. Guarded by
  // session_mutex_; null until the first span, and reset whenever session_id_ changes.
  std::shared_ptr<const std::vector<BaggageEntry>> own_baggage_;
  void remember_session_span(const SpanContext& span) noexcept;
  // Whether `span`, a valid span context, is one of session_spans_ (session_mutex_ held). The caller
  // checks validity first: a root span's parent is not valid, and needs no call.
  bool is_session_span_locked(const SpanContext& span) const noexcept;
  // This tracer's baggage entries for `session_id`, in the order they are added to a context.
  std::vector<BaggageEntry> tracer_baggage(const std::string& session_id) const;
  // The baggage of a span started under `parent` baggage that does not name this tracer.
  std::vector<BaggageEntry> joined_baggage(const std::vector<BaggageEntry>& parent) const;
  // Both start_span overloads; null `options` means the defaults (none are built then).
  Span start_typed(std::string_view name, EventType type, const StartSpanOptions* options) noexcept;
};

template <class F>
decltype(auto) HoneyHiveTracer::trace(std::string_view name, EventType type, F&& fn) {
  Span span = start_span(name, type);
  try {
    if constexpr (std::is_invocable_v<F, Span&>) {
      using R = std::invoke_result_t<F, Span&>;
      if constexpr (std::is_void_v<R>) {
        std::forward<F>(fn)(span);
      } else {
        R result = std::forward<F>(fn)(span);
        record_result(span, result);
        return result;
      }
    } else {
      using R = std::invoke_result_t<F>;
      if constexpr (std::is_void_v<R>) {
        std::forward<F>(fn)();
      } else {
        R result = std::forward<F>(fn)();
        record_result(span, result);
        return result;
      }
    }
  } catch (const std::exception& error) {
    span.record_exception(error);
    throw;
  } catch (...) {
    span.set_error("unknown exception");
    throw;
  }
}

// The tracer of the active context: baggage honeyhive_tracer_id -> registry -> the default tracer ->
// a disabled tracer whose spans are no-ops. Null only when memory is too short to build that one.
std::shared_ptr<HoneyHiveTracer> current_tracer() noexcept;
// Makes `tracer` the process default (the first tracer created is the default until then; when the
// default is destroyed, the oldest live tracer becomes the default). Null: back to the oldest live one
// as soon as a tracer is created or destroyed.
void set_default_tracer(const std::shared_ptr<HoneyHiveTracer>& tracer) noexcept;
// The live tracer with this id, or null.
std::shared_ptr<HoneyHiveTracer> find_tracer(const std::string& tracer_id) noexcept;

// Values to add to a span; unset fields are left alone.
struct Enrichment {
  Param<nlohmann::json> inputs;
  Param<nlohmann::json> outputs;
  Param<nlohmann::json> metadata;
  Param<nlohmann::json> metrics;
  Param<nlohmann::json> feedback;
  Param<nlohmann::json> config;
  Param<nlohmann::json> user_properties;
  Param<std::string> error;
};

// current_tracer()->start_span(name, type), also when memory is so short that there is no tracer.
Span start_span_in_current_tracer(std::string_view name, EventType type) noexcept;

// Enriches the session of the current tracer (see HoneyHiveTracer::enrich_session).
void enrich_session(const Enrichment& enrichment) noexcept;

// Enriches the active span of this thread (a no-op when there is none).
void enrich_span(const Enrichment& enrichment) noexcept;
void enrich_span(SpanRef span, const Enrichment& enrichment) noexcept;

}  // namespace honeyhive

// A span of the current tracer for the rest of the enclosing block:
//   HH_SPAN(span, "retrieve", tool);  span.set_inputs(...);
#define HH_SPAN(variable, name, type) \
  ::honeyhive::Span variable = ::honeyhive::start_span_in_current_tracer((name), ::honeyhive::EventType::type)
