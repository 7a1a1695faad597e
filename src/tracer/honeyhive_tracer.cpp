#include "honeyhive/tracer/honeyhive_tracer.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <map>

#include "core/baggage_find.hpp"
#include "core/current_context.hpp"
#include "core/deadline.hpp"
#include "core/json_depth.hpp"
#include "core/printable.hpp"
#include "core/random.hpp"
#include "core/static_key_texts.hpp"
#include "core/uuid.hpp"
#include "export/otlp_env.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/console_exporter.hpp"
#include "honeyhive/export/file_exporter.hpp"
#include "honeyhive/export/honeyhive_event_exporter.hpp"
#include "honeyhive/export/otlp_http_exporter.hpp"
#include "honeyhive/lifecycle/lifecycle.hpp"
#include "honeyhive/processing/batch_span_processor.hpp"
#include "honeyhive/processing/enrichment_processor.hpp"
#include "honeyhive/processing/simple_span_processor.hpp"
#include "honeyhive/propagation/carrier.hpp"
#include "honeyhive/version.hpp"
#include "tracer/hh_local_detect.hpp"
#include "tracer/registry.hpp"
#include "transport/http_headers.hpp"
#include "transport/http_url.hpp"

namespace honeyhive {
namespace {

constexpr const char* kTracerIdKey = "honeyhive_tracer_id";

// Whether `baggage` says it belongs to the tracer `id` (no copy of the value).
bool names_tracer(const std::vector<BaggageEntry>& baggage, const std::string& id) {
  const std::string* owner = detail::find_baggage_value(baggage, kTracerIdKey);
  return owner != nullptr && *owner == id;
}
constexpr const char* kEmbeddedFile = "honeyhive-traces.jsonl";

struct Registry {
  std::mutex mutex;
  struct Registered {
    std::weak_ptr<HoneyHiveTracer> tracer;
    std::uint64_t created = 0;  // in creation order: the oldest live tracer follows a destroyed default
  };
  std::map<std::string, Registered> tracers;
  std::uint64_t created = 0;
  std::weak_ptr<HoneyHiveTracer> default_tracer;
  bool default_chosen_by_user = false;
};

Registry& registry() {
  static Registry* instance = new Registry();  // NOLINT: leaked, usable during static destruction
  return *instance;
}

// Sends to several exporters (the embedded default: console tree + OTLP/JSON file).
class FanOutExporter final : public SpanExporter {
 public:
  explicit FanOutExporter(std::vector<std::unique_ptr<SpanExporter>> exporters) : exporters_(std::move(exporters)) {}
  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override {
    ExportResult result = ExportResult::success;
    for (const auto& exporter : exporters_) {
      try {
        if (exporter->export_spans(spans) != ExportResult::success) result = ExportResult::failure;
      } catch (...) {
        result = ExportResult::failure;
      }
    }
    return result;
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    bool all = true;
    for (const auto& exporter : exporters_) {
      try {
        all = exporter->force_flush(timeout) && all;
      } catch (...) {
        all = false;
      }
    }
    return all;
  }
  void reset_after_fork() noexcept override {
    for (const auto& exporter : exporters_) exporter->reset_after_fork();
  }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    bool all = true;
    for (const auto& exporter : exporters_) {
      try {
        all = exporter->shutdown(timeout) && all;
      } catch (...) {
        all = false;
      }
    }
    return all;
  }

 private:
  std::vector<std::unique_ptr<SpanExporter>> exporters_;
};

// The chosen exporter, with every batch also printed as a console tree (TracerOptions::console_tree),
// first, so a slow backend does not hold the tree back. What the processors read (deadlines, per-span
// counts, stats) is the chosen exporter's alone.
class ConsoleTreeTee final : public SpanExporter {
 public:
  explicit ConsoleTreeTee(std::unique_ptr<SpanExporter> primary) : primary_(std::move(primary)) {}
  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) override {
    console_.export_spans(spans);
    return primary_->export_spans(spans);
  }
  ExportResult export_spans_until(const std::vector<SpanDataPtr>& spans,
                                  std::chrono::steady_clock::time_point deadline) override {
    console_.export_spans(spans);
    return primary_->export_spans_until(spans, deadline);
  }
  ExportCounts export_spans_counted(const std::vector<SpanDataPtr>& spans,
                                    std::chrono::steady_clock::time_point deadline) override {
    console_.export_spans(spans);
    return primary_->export_spans_counted(spans, deadline);
  }
  ExporterStats stats() const override { return primary_->stats(); }
  bool force_flush(std::chrono::milliseconds timeout) override {
    console_.force_flush(timeout);
    return primary_->force_flush(timeout);
  }
  bool shutdown(std::chrono::milliseconds timeout) override {
    console_.shutdown(timeout);
    return primary_->shutdown(timeout);
  }
  void reset_after_fork() noexcept override {
    console_.reset_after_fork();
    primary_->reset_after_fork();
  }

 private:
  ConsoleExporter console_;  // noexcept throughout; the primary may be a user's exporter that throws
  std::unique_ptr<SpanExporter> primary_;
};

std::shared_ptr<HoneyHiveTracer> disabled_tracer() {
  static const auto* instance = [] {
    TracerConfig config;
    config.disabled = true;
    auto tracer = HoneyHiveTracer::init(config);
    return new std::shared_ptr<HoneyHiveTracer>(std::move(tracer));  // leaked on purpose
  }();
  return *instance;
}

}  // namespace

namespace {
// to_string(), with its length known (no strlen per span).
constexpr std::string_view event_type_name(EventType type) noexcept {
  switch (type) {
    case EventType::session: return "session";
    case EventType::chain: return "chain";
    case EventType::model: return "model";
    case EventType::tool: return "tool";
  }
  return "tool";
}
}  // namespace

const char* to_string(EventType type) noexcept { return event_type_name(type).data(); }

namespace detail {

std::string make_uuid_v4() {
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t half = 0; half < 2; ++half) {
    const std::uint64_t r = random_u64();
    for (std::size_t i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<std::uint8_t>(r >> (8U * i));
  }
  return format_uuid(bytes, 4);
}

// fork(): every lock a root span, a session or a shutdown can take is held across the fork, so a
// child never inherits one locked by a thread it does not have. Order: the registry, then per
// tracer its session and shutdown locks, its enrichment processor's lock and its diagnostics sink, then the process
// sink.
struct TracerForkHandlers {
  static std::vector<std::shared_ptr<HoneyHiveTracer>>*& held() {
    static std::vector<std::shared_ptr<HoneyHiveTracer>>* tracers = nullptr;
    return tracers;
  }
  static void prepare() noexcept {
    Registry& r = registry();
    r.mutex.lock();
    try {
      auto* tracers = new std::vector<std::shared_ptr<HoneyHiveTracer>>();
      for (const auto& entry : r.tracers) {
        if (auto tracer = entry.second.tracer.lock()) tracers->push_back(std::move(tracer));
      }
      for (const auto& tracer : *tracers) {
        tracer->session_mutex_.lock();
        tracer->shutdown_mutex_.lock();
        if (tracer->enrichment_ != nullptr) tracer->enrichment_->lock_for_fork();
        if (tracer->diagnostics_ && tracer->diagnostics_ != DiagnosticSink::process()) {
          tracer->diagnostics_->lock_for_fork();
        }
      }
      held() = tracers;
    } catch (...) {
      held() = nullptr;  // out of memory: fork without holding them (the old behaviour)
    }
    DiagnosticSink::process()->lock_for_fork();
  }
  static void release() noexcept {
    DiagnosticSink::process()->unlock_after_fork();
    if (auto* tracers = held()) {
      for (auto it = tracers->rbegin(); it != tracers->rend(); ++it) {
        const auto& tracer = *it;
        if (tracer->diagnostics_ && tracer->diagnostics_ != DiagnosticSink::process()) {
          tracer->diagnostics_->unlock_after_fork();
        }
        if (tracer->enrichment_ != nullptr) tracer->enrichment_->unlock_after_fork();
        tracer->shutdown_mutex_.unlock();
        tracer->session_mutex_.unlock();
      }
      held() = nullptr;
      registry().mutex.unlock();
      delete tracers;  // may destroy a tracer whose last owner let go meanwhile: no lock is held now
      return;
    }
    registry().mutex.unlock();
  }
};

void register_tracer(const std::shared_ptr<HoneyHiveTracer>& tracer) {
  static const bool fork_handlers =
      pthread_atfork(&TracerForkHandlers::prepare, &TracerForkHandlers::release, &TracerForkHandlers::release) == 0;
  (void)fork_handlers;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto it = r.tracers.begin(); it != r.tracers.end();) {
    it = it->second.tracer.expired() ? r.tracers.erase(it) : std::next(it);
  }
  r.tracers[tracer->id()] = Registry::Registered{tracer, ++r.created};
  if (!r.default_chosen_by_user && r.default_tracer.expired()) r.default_tracer = tracer;
}

// Called by a tracer's destructor (its weak references have expired). When it was the default
// (chosen or not), the oldest live tracer takes its place: HH_SPAN and current_tracer() go on
// recording where a tracer lives, whatever order tracers were created and destroyed in.
void unregister_tracer(const std::string& id) noexcept {
  try {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.tracers.erase(id);
    if (r.default_tracer.expired()) {
      r.default_chosen_by_user = false;
      const Registry::Registered* oldest = nullptr;
      for (const auto& entry : r.tracers) {
        if (!entry.second.tracer.expired() && (oldest == nullptr || entry.second.created < oldest->created)) {
          oldest = &entry.second;
        }
      }
      r.default_tracer = oldest != nullptr ? oldest->tracer : std::weak_ptr<HoneyHiveTracer>();
    }
  } catch (...) {
  }
}

}  // namespace detail

struct HoneyHiveTracer::Private {
  std::string id;
  ResolvedConfig config;
  std::shared_ptr<DiagnosticSink> diagnostics;
  std::shared_ptr<Provider> provider;
  EnrichmentProcessor* enrichment = nullptr;
  SpanProcessor* exporting = nullptr;
  std::string exporter_description;
};

HoneyHiveTracer::HoneyHiveTracer(Private&& parts)
    : id_(std::move(parts.id)),
      config_(std::move(parts.config)),
      diagnostics_(std::move(parts.diagnostics)),
      provider_(std::move(parts.provider)),
      tracer_(provider_->get_tracer("honeyhive-cpp", kVersion)),
      enrichment_(parts.enrichment),
      exporting_(parts.exporting),
      exporter_description_(std::move(parts.exporter_description)) {}

HoneyHiveTracer::~HoneyHiveTracer() {
  detail::unregister_tracer(id_);
  shutdown();
}

std::shared_ptr<HoneyHiveTracer> HoneyHiveTracer::init(const TracerConfig& config, const SessionConfig& session,
                                                       const EvaluationConfig& evaluation,
                                                       const TracerConfig& overrides, TracerOptions options) noexcept {
  try {
    Private parts;
    parts.id = detail::make_uuid_v4();
    parts.config = resolve_config(config, session, evaluation, overrides);
    const ResolvedConfig& resolved = parts.config;
    parts.diagnostics = options.diagnostics ? std::move(options.diagnostics)
                        : resolved.verbose  ? DiagnosticSink::forward_to_process(DiagnosticLevel::debug)
                                            : nullptr;
    if (!parts.diagnostics) parts.diagnostics = DiagnosticSink::process();
    // Everything built from here on (processors, their export threads) reports to this sink.
    const std::shared_ptr<DiagnosticSink> sink = parts.diagnostics;  // outlives `route` (parts is moved from)
    ScopedDiagnosticSink route(sink);
    for (const auto& line : resolved.diagnostics) report_diagnostic(DiagnosticLevel::warning, "config: " + line);

    ProviderOptions provider_options;
    Attributes resource;
    if (!resolved.service_name.empty()) {
      resource.push_back({"service.name", AttributeValue{resolved.service_name}});
    } else if (const FieldOrigin* origin = resolved.origin_of("service_name"); origin != nullptr && origin->null) {
      // An explicit null turns OTEL_SERVICE_NAME off too: OpenTelemetry's name for no name.
      resource.push_back({"service.name", AttributeValue{std::string("unknown_service")}});
    }
    if (!resolved.project.empty()) resource.push_back({"honeyhive.project", AttributeValue{resolved.project}});
    resource.push_back({"honeyhive.source", AttributeValue{resolved.source}});
    resource.push_back({"honeyhive.tracer_id", AttributeValue{parts.id}});
    provider_options.resource = Resource::create(resource);
    provider_options.content.mask = std::move(options.mask);
    provider_options.content.record_content = resolved.trace_content;

    std::unique_ptr<SpanExporter> exporter = std::move(options.exporter);
    bool embedded = false;  // the embedded default prints the console tree itself
    if (resolved.export_mode == "events" && resolved.api_key.empty() && !resolved.disabled && !exporter) {
      report_diagnostic(DiagnosticLevel::warning,
                        "export_mode=events needs an API key (HH_API_KEY); exporting as if export_mode=otlp");
    }
    // A key with a line break inside cannot go into a header (transport/http_headers.hpp): every
    // request would be refused, so it is said once here.
    if (!resolved.disabled && !exporter && !resolved.api_key.empty() && !detail::is_header_value(resolved.api_key)) {
      report_diagnostic(DiagnosticLevel::error,
                        "the API key (HH_API_KEY or api_key) holds a line break or another control character; "
                        "no request to HoneyHive can be sent with it");
    }
    if (resolved.disabled) {
      provider_options.sampler = make_always_off_sampler();
      // Named by what turned it off: the variable (HH_DISABLE_TRACING, OTEL_SDK_DISABLED) or the config.
      const FieldOrigin* disabled_by = resolved.origin_of("disabled");
      std::string by = disabled_by != nullptr ? disabled_by->origin : std::string("disabled");
      if (by.rfind("env:", 0) == 0) by.erase(0, 4);
      parts.exporter_description = "disabled (" + by + ")";
      exporter.reset();
    } else if (exporter) {
      parts.exporter_description = "custom exporter";
    } else if (!resolved.api_key.empty() && !resolved.api_url.empty() && resolved.export_mode == "events") {
      HoneyHiveEventExporterOptions events;
      // The OTLP exporter's timeout and compression rules (OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT, _COMPRESSION).
      const OtlpHttpExporterOptions otlp = detail::otlp_transport_options_from_env();
      events.timeout = otlp.timeout;
      events.gzip = otlp.gzip;
      events.api_url = resolved.api_url;
      events.api_key = resolved.api_key;
      events.request = resolved.disable_batch ? HoneyHiveEventsRequest::single : HoneyHiveEventsRequest::batch;
      parts.exporter_description =
          "honeyhive-events " + redact_url(detail::append_url_path(
                                    resolved.api_url, resolved.disable_batch ? "/v1/events" : "/v1/events/batch"));
      exporter = std::make_unique<HoneyHiveEventExporter>(std::move(events));
    } else if (!resolved.api_key.empty() && !resolved.api_url.empty()) {
      OtlpHttpExporterOptions otlp = detail::otlp_transport_options_from_env();
      otlp.endpoint = detail::append_url_path(resolved.api_url, "/opentelemetry/v1/traces");
      otlp.protocol = resolved.otlp_protocol == "http/protobuf" ? OtlpProtocol::http_protobuf : OtlpProtocol::http_json;
      // The headers the HoneyHive Python SDK sends, after those of OTEL_EXPORTER_OTLP_HEADERS (a
      // gateway's, say), which are kept unless they name one of these.
      HttpHeaders honeyhive_headers = {{"Authorization", "Bearer " + resolved.api_key},
                                       {"hh-client-version", kVersion},
                                       {"hh-client-language", "cpp"},
                                       {"hh-client-package", "honeyhive-cpp"}};
      // The source goes on every span too; as a header only when it can be one.
      if (detail::is_header_value(resolved.source)) {
        honeyhive_headers.emplace_back("X-Source", resolved.source);
      } else {
        report_diagnostic(DiagnosticLevel::warning,
                          "source holds a line break or another control character; not sent as the X-Source header");
      }
      const auto names_one_of_ours = [&](const std::pair<std::string, std::string>& header) {
        return std::any_of(honeyhive_headers.begin(), honeyhive_headers.end(),
                           [&](const auto& ours) { return equals_ignore_case(ours.first, header.first); });
      };
      otlp.headers.erase(std::remove_if(otlp.headers.begin(), otlp.headers.end(), names_one_of_ours),
                         otlp.headers.end());
      otlp.headers.insert(otlp.headers.end(), std::make_move_iterator(honeyhive_headers.begin()),
                          std::make_move_iterator(honeyhive_headers.end()));
      parts.exporter_description = "honeyhive-otlp " + redact_url(otlp.endpoint) + " (" + resolved.otlp_protocol + ")";
      exporter = std::make_unique<OtlpHttpExporter>(std::move(otlp));
    } else if (!resolved.otlp_endpoint.empty()) {
      OtlpHttpExporterOptions otlp = detail::otlp_transport_options_from_env();
      otlp.endpoint = resolved.otlp_endpoint;
      otlp.protocol = resolved.otlp_protocol == "http/protobuf" ? OtlpProtocol::http_protobuf : OtlpProtocol::http_json;
      parts.exporter_description = "otlp " + redact_url(otlp.endpoint) + " (" + resolved.otlp_protocol + ")";
      exporter = std::make_unique<OtlpHttpExporter>(std::move(otlp));
    } else {
      // No API key (or one with no API URL to go to), no endpoint: hh-local when it runs on this
      // machine, else the embedded default.
      const std::string no_key =
          resolved.api_key.empty() ? "no API key" : "API key unused (api_url is not an http(s) URL)";
      const auto port = static_cast<std::uint16_t>(resolved.hh_local_port);
      const std::string local = "127.0.0.1:" + std::to_string(port);
      const detail::HhLocalProbe probe =
          resolved.hh_local_detect ? detail::probe_hh_local(port) : detail::HhLocalProbe{false, "detection off"};
      if (probe.found) {
        OtlpHttpExporterOptions otlp = detail::otlp_transport_options_from_env();
        otlp.endpoint = "http://" + local + "/v1/traces";
        // Straight to it, as the probe went: through a proxy (http_proxy) the spans would go to the
        // proxy's own 127.0.0.1.
        CurlHttpClientOptions direct;
        direct.use_proxy_variables = false;
        otlp.client = make_curl_http_client(direct);
        // Protobuf unless a protocol was asked for: hh-local reads both, protobuf is the smaller.
        const FieldOrigin* protocol = resolved.origin_of("otlp_protocol");
        const bool protocol_chosen = protocol != nullptr && protocol->origin != "default";
        const std::string protocol_name = protocol_chosen ? resolved.otlp_protocol : "http/protobuf";
        otlp.protocol = protocol_name == "http/json" ? OtlpProtocol::http_json : OtlpProtocol::http_protobuf;
        parts.exporter_description =
            "hh-local " + otlp.endpoint + " (" + protocol_name + "; auto-detected: " + no_key + ", no OTLP endpoint)";
        exporter = std::make_unique<OtlpHttpExporter>(std::move(otlp));
      } else {
        std::vector<std::unique_ptr<SpanExporter>> both;
        both.push_back(std::make_unique<ConsoleExporter>());
        both.push_back(std::make_unique<FileExporter>(FileExporterOptions{kEmbeddedFile, 64ULL * 1024 * 1024}));
        parts.exporter_description =
            std::string("embedded (console tree + ") + kEmbeddedFile + "; " + no_key + ", no OTLP endpoint, " +
            (resolved.hh_local_detect ? "hh-local not running on " + local + ": " + probe.detail
                                      : std::string("hh-local detection off")) +
            ")";
        exporter = std::make_unique<FanOutExporter>(std::move(both));
        embedded = true;
      }
    }
    if (options.console_tree && exporter && !embedded) {
      parts.exporter_description += " + console tree";
      exporter = std::make_unique<ConsoleTreeTee>(std::move(exporter));
    }

    auto enrichment = std::make_unique<EnrichmentProcessor>(
        EnrichmentDefaults{parts.id, resolved.session.id, resolved.project, resolved.source});
    parts.enrichment = enrichment.get();
    provider_options.processors.push_back(std::move(enrichment));
    if (exporter) {
      std::unique_ptr<SpanProcessor> processor;
      if (resolved.disable_batch) {
        processor = std::make_unique<SimpleSpanProcessor>(std::move(exporter));
      } else {
        BatchSpanProcessorOptions batch = BatchSpanProcessorOptions::from_env();
        batch.shutdown_export_timeout = resolved.lifecycle.operation_timeout;
        processor = std::make_unique<BatchSpanProcessor>(std::move(exporter), batch);
      }
      parts.exporting = processor.get();
      provider_options.processors.push_back(std::move(processor));
    }
    parts.provider = Provider::create(std::move(provider_options));
    if (!parts.provider) return nullptr;
    report_diagnostic(DiagnosticLevel::info, "tracer " + parts.id + " exports to " + parts.exporter_description +
                                                 "; lifecycle " + to_string(resolved.lifecycle.kind) + " (" +
                                                 resolved.lifecycle.reason + ")");

    auto tracer = std::make_shared<HoneyHiveTracer>(std::move(parts));
    if (!tracer->config_.disabled) {
      detail::register_tracer(tracer);
      register_for_exit(std::weak_ptr<void>(tracer), tracer->config_.lifecycle.lifecycle_timeout,
                        [](const std::shared_ptr<void>& owner, std::chrono::steady_clock::time_point deadline) {
                          static_cast<HoneyHiveTracer*>(owner.get())->shutdown_until(deadline);
                        });
      if (tracer->config_.start_session) tracer->start_session(SessionConfig{});
    }
    return tracer;
  } catch (...) {
    report_diagnostic(DiagnosticLevel::error, "HoneyHiveTracer::init failed; tracing is disabled for this tracer");
    // Building the disabled tracer itself failed: nothing left to degrade to.
    if (config.disabled.has_value() && *config.disabled) return nullptr;
    try {
      return disabled_tracer();
    } catch (...) {
      return nullptr;
    }
  }
}

std::string HoneyHiveTracer::start_session(const SessionConfig& session) noexcept {
  ScopedDiagnosticSink route(diagnostics_);
  if (lifecycle_state_.load(std::memory_order_acquire) != kRunning) return session_id();
  try {
    ResolvedConfig resolved = resolve_config(TracerConfig{}, session);
    if (session.session_id.has_value() && resolved.session.id.empty()) {
      report_diagnostic(DiagnosticLevel::warning,
                        "start_session: session_id '" + *session.session_id + "' is not a UUID; ignored");
    }
    // The first session takes the tracer's own resolved session fields.
    std::string id;
    std::string name;
    {
      std::lock_guard<detail::SpinMutex> lock(session_mutex_);
      const bool first = session_id_.empty();
      id = !resolved.session.id.empty() && session.session_id.has_value() ? resolved.session.id
           : first && !config_.session.id.empty()                         ? config_.session.id
                                                                          : detail::make_uuid_v4();
      // Unset: the tracer's; an explicit null: none given (the default name).
      name = session.session_name.has_value()                                   ? *session.session_name
             : session.session_name.is_unset() && !config_.session.name.empty() ? config_.session.name
                                                                                : "session";
      session_id_ = id;
      own_baggage_.reset();  // names the previous session: rebuilt by the next span
    }
    if (enrichment_ != nullptr) enrichment_->set_session_id(id);
    // The session event: a short span carrying the session's name and starting values.
    Span span = start_span(name, EventType::session);
    // Unset: the tracer's session values; an explicit null: none; else the value as resolved (cut
    // where it nests too deep to copy).
    const auto& inputs = session.inputs.is_unset() ? config_.session.inputs : resolved.session.inputs;
    const auto& metadata = session.metadata.is_unset() ? config_.session.metadata : resolved.session.metadata;
    const auto& user_properties =
        session.user_properties.is_unset() ? config_.session.user_properties : resolved.session.user_properties;
    // The name first: it marks the span as the session's start (honeyhive_span_role), and values
    // that fill the span's attribute limit must not push it out.
    span.set_attribute("honeyhive.session_name", name);
    if (!inputs.is_null()) span.set_inputs(inputs);
    if (!metadata.is_null()) span.set_metadata(metadata);
    if (!user_properties.is_null()) span.set_user_properties(user_properties);
    {
      std::lock_guard<detail::SpinMutex> lock(session_mutex_);
      session_span_ = span.context();
    }
    remember_session_span(span.context());
    return id;
  } catch (...) {
    return session_id();
  }
}

void HoneyHiveTracer::remember_session_span(const SpanContext& span) noexcept {
  if (!span.is_valid()) return;
  try {
    std::lock_guard<detail::SpinMutex> lock(session_mutex_);
    if (session_spans_.size() >= kRecentSessionSpans) session_spans_.pop_front();
    session_spans_.push_back(span);
  } catch (...) {
    // Out of memory: its children fall back to the parent span's event id.
  }
}

std::vector<BaggageEntry> HoneyHiveTracer::tracer_baggage(const std::string& session_id) const {
  std::vector<BaggageEntry> entries;
  entries.reserve(7);
  entries.push_back(BaggageEntry{kTracerIdKey, id_, {}});
  if (!session_id.empty()) entries.push_back(BaggageEntry{"session_id", session_id, {}});
  entries.push_back(BaggageEntry{"source", config_.source, {}});
  if (!config_.project.empty()) entries.push_back(BaggageEntry{"project", config_.project, {}});
  if (config_.evaluation.active()) {
    entries.push_back(BaggageEntry{"run_id", config_.evaluation.run_id, {}});
    entries.push_back(BaggageEntry{"dataset_id", config_.evaluation.dataset_id, {}});
    entries.push_back(BaggageEntry{"datapoint_id", config_.evaluation.datapoint_id, {}});
  }
  return entries;
}

// The baggage of a span started under a parent whose baggage does not name this tracer.
//  - Another tracer's: this tracer's entries replace its tracer id, source and project, and its
//    session (taken out when this tracer has none, or this tracer's next spans, whose parent baggage
//    then names this tracer, would be stamped with it).
//  - Another service's or the application's (no tracer id): the session and source it names are the
//    ones the enrichment stamped on this span, and they stay for its children and downstream calls
//    (a session a Python service started continues here); its parent_id was this span's parent
//    event, not its children's, and is taken out.
// This tracer's entries come first: at a header's member or byte limit, the application's are
// dropped, never the session and tracer id.
std::vector<BaggageEntry> HoneyHiveTracer::joined_baggage(const std::vector<BaggageEntry>& parent) const {
  const bool other_tracer = detail::find_baggage_value(parent, kTracerIdKey) != nullptr;
  std::string session = session_id();
  const std::string* inbound_source = nullptr;
  if (!other_tracer) {
    const std::string* inbound_session = detail::find_baggage_value(parent, "session_id");
    if (inbound_session != nullptr && !inbound_session->empty()) session = *inbound_session;
    inbound_source = detail::find_baggage_value(parent, "source");
    if (inbound_source != nullptr && inbound_source->empty()) inbound_source = nullptr;
  }
  std::vector<BaggageEntry> entries = tracer_baggage(session);
  const std::size_t own = entries.size();
  if (inbound_source != nullptr) {
    for (auto& entry : entries) {
      if (entry.key == "source") entry.value = *inbound_source;
    }
  }
  entries.reserve(own + parent.size());
  for (const auto& entry : parent) {
    const bool replaced = std::any_of(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(own),
                                      [&](const BaggageEntry& mine) { return mine.key == entry.key; });
    const bool taken_out =
        other_tracer ? entry.key == "session_id" || entry.key == "project" : entry.key == "parent_id";
    if (!replaced && !taken_out) entries.push_back(entry);
  }
  return entries;
}

bool HoneyHiveTracer::is_session_span_locked(const SpanContext& span) const noexcept {
  for (auto it = session_spans_.rbegin(); it != session_spans_.rend(); ++it) {
    if (it->span_id() == span.span_id() && it->trace_id() == span.trace_id()) return true;
  }
  return false;
}

std::string HoneyHiveTracer::session_id() const noexcept {
  try {
    std::lock_guard<detail::SpinMutex> lock(session_mutex_);
    return session_id_;
  } catch (...) {
    return std::string();
  }
}

Span HoneyHiveTracer::start_span(std::string_view name, EventType type) noexcept {
  return start_typed(name, type, nullptr);
}

Span HoneyHiveTracer::start_span(std::string_view name, EventType type, StartSpanOptions options) noexcept {
  return start_typed(name, type, &options);
}

Span HoneyHiveTracer::start_typed(std::string_view name, EventType type, const StartSpanOptions* options) noexcept {
  try {
    if (config_.disabled || lifecycle_state_.load(std::memory_order_acquire) == kShutDown) return Span();
    // The same parent for the span and its context: the one given, or this thread's current one
    // (not copied; it stays where it is while the span starts, see current_context_ref()).
    const Context& parent = options != nullptr && options->parent ? *options->parent : detail::current_context_ref();
    Span span = options != nullptr ? tracer_->start_span(name, *options) : tracer_->start_span(name);
    if (!span) return span;
    const detail::LiteralKeyText texts[] = {{"honeyhive_event_type", event_type_name(type)},
                                            {"honeyhive_event_name", name}};
    detail::StaticKeyTexts::write(span, texts, std::size(texts));
    try {
      // The active context names this tracer and its session, for discovery and downstream services.
      // A parent without baggage (a root span, the common case) gets this tracer's list as it is,
      // shared; one with baggage gets this tracer's entries added unless it already names it.
      const auto& parent_baggage = parent.all_baggage();
      const SpanContext& parent_span = parent.span().context();
      bool parent_is_session = false;
      std::shared_ptr<const std::vector<BaggageEntry>> own_baggage;
      if (parent_span.is_valid() || parent_baggage.empty()) {
        std::lock_guard<detail::SpinMutex> lock(session_mutex_);
        parent_is_session = parent_span.is_valid() && is_session_span_locked(parent_span);
        if (parent_baggage.empty()) {
          if (!own_baggage_) {
            own_baggage_ = std::make_shared<const std::vector<BaggageEntry>>(tracer_baggage(session_id_));
          }
          own_baggage = own_baggage_;
        }
      }
      // Read by the events-mode encoder: the parent's event id is the session id.
      if (parent_is_session) span.set_attribute("honeyhive.parent_is_session", true);
      if (own_baggage != nullptr || names_tracer(parent_baggage, id_)) {
        // The new context is built in its place on this thread's stack: the shared list (or the
        // parent's baggage, which names this tracer already) goes onto it, not onto a copy.
        span.hold_scope(detail::ScopeBuilder::attach_span(parent, span, std::move(own_baggage)));
      } else {
        span.hold_scope(Scope(parent.with_span(span).with_all_baggage(joined_baggage(parent_baggage))));
      }
    } catch (...) {
      // Out of memory while building the context: the span is already started and stays the
      // caller's, active without this tracer's baggage rather than replaced by a no-op.
      span.hold_scope(Scope(parent.with_span(span)));
    }
    return span;
  } catch (...) {
    return Span();
  }
}

std::string HoneyHiveTracer::config_report() const noexcept {
  try {
    // The exporter's description holds an endpoint from the configuration: shown as report_text()
    // shows values.
    std::string report = "tracer " + id_ + " exports to ";
    detail::append_printable(report, exporter_description_, detail::Backslash::kept);
    return report + "\n" + config_.report_text();
  } catch (...) {
    return std::string();
  }
}

nlohmann::json HoneyHiveTracer::config_report_json() const noexcept {
  try {
    nlohmann::json report = config_.report_json();
    report["tracer_id"] = id_;
    report["exporter"] = exporter_description_;
    return report;
  } catch (...) {
    return nlohmann::json();
  }
}

bool HoneyHiveTracer::flush() noexcept { return flush(config_.lifecycle.lifecycle_timeout); }

bool HoneyHiveTracer::flush(std::chrono::milliseconds timeout) noexcept {
  if (!provider_ || lifecycle_state_.load(std::memory_order_acquire) != kRunning) return false;
  ScopedDiagnosticSink route(diagnostics_);
  return provider_->force_flush(timeout);
}

bool HoneyHiveTracer::shutdown() noexcept { return shutdown(config_.lifecycle.lifecycle_timeout); }

bool HoneyHiveTracer::shutdown(std::chrono::milliseconds timeout) noexcept {
  return shutdown_until(detail::deadline_after(timeout));
}

namespace {

// The tracers this thread is shutting down, innermost first: a shutdown that calls back into one of
// them (an exporter's shutdown that shuts "its" tracer down) must not wait for itself.
struct ShutdownInProgress {
  const HoneyHiveTracer* tracer;
  const ShutdownInProgress* outer;
};
thread_local const ShutdownInProgress* t_shutting_down = nullptr;

bool shutting_down_on_this_thread(const HoneyHiveTracer* tracer) noexcept {
  for (const ShutdownInProgress* at = t_shutting_down; at != nullptr; at = at->outer) {
    if (at->tracer == tracer) return true;
  }
  return false;
}

}  // namespace

bool HoneyHiveTracer::shutdown_until(std::chrono::steady_clock::time_point deadline) noexcept {
  ScopedDiagnosticSink route(diagnostics_);
  const bool in_exporter = BatchSpanProcessor::on_export_thread() || SimpleSpanProcessor::on_export_call() ||
                           shutting_down_on_this_thread(this);
  int expected = kRunning;
  if (!lifecycle_state_.compare_exchange_strong(expected, kShuttingDown, std::memory_order_acq_rel)) {
    // Another call got here first. Wait for it (bounded), unless this thread is one it may be
    // waiting for (an exporter callback), or is that call itself (re-entered from an exporter's
    // shutdown): then return at once.
    if (in_exporter) return expected == kShutDown;
    try {
      bool result = false;
      {
        std::unique_lock<std::mutex> lock(shutdown_mutex_);
        shutdown_done_.wait_until(lock, deadline, [&] { return lifecycle_state_.load() == kShutDown; });
        if (lifecycle_state_.load() != kShutDown) return false;
        result = shutdown_result_;
      }
      // A first call from an exporter callback could not wait for what it started: the export
      // thread's drain and the exporter's shutdown (batch processor), or the exporter's shutdown at
      // the end of that export (simple processor). Wait for it too: the processor's second shutdown
      // does, and returns at once when nothing is left. Not after a first call that gave up.
      if (exporting_ != nullptr && result) {
        result = exporting_->shutdown(detail::time_left(deadline));
      }
      return result;
    } catch (...) {
      return false;
    }
  }
  const ShutdownInProgress in_progress{this, t_shutting_down};
  t_shutting_down = &in_progress;
  bool result = true;
  if (provider_) {
    // 1. Flush, holding no lock: exporters may call back into the tracer. Half the budget at
    //    most, so stopping always has time. Not from an exporter callback (it would wait for its
    //    own thread).
    if (!in_exporter) result = provider_->force_flush(detail::time_left(deadline) / 2);
    // 2. Stop processors and exporters. Only the caller that moved the state to "shutting down"
    //    gets here, so that state is the lifecycle lock: no second lock is needed.
    result = provider_->shutdown(detail::time_left(deadline)) && result;
  }
  t_shutting_down = in_progress.outer;
  try {
    std::lock_guard<std::mutex> lock(shutdown_mutex_);
    shutdown_result_ = result;
    lifecycle_state_.store(kShutDown, std::memory_order_release);
  } catch (...) {
    lifecycle_state_.store(kShutDown, std::memory_order_release);
  }
  shutdown_done_.notify_all();
  return result;
}

std::shared_ptr<HoneyHiveTracer> find_tracer(const std::string& tracer_id) noexcept {
  try {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    const auto it = r.tracers.find(tracer_id);
    return it == r.tracers.end() ? nullptr : it->second.tracer.lock();
  } catch (...) {
    return nullptr;
  }
}

void set_default_tracer(const std::shared_ptr<HoneyHiveTracer>& tracer) noexcept {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.default_tracer = tracer;
  r.default_chosen_by_user = tracer != nullptr;
}

std::shared_ptr<HoneyHiveTracer> current_tracer() noexcept {
  try {
    if (const auto id = Context::current().baggage(kTracerIdKey)) {
      if (auto tracer = find_tracer(*id)) return tracer;
    }
    {
      Registry& r = registry();
      std::lock_guard<std::mutex> lock(r.mutex);
      if (auto tracer = r.default_tracer.lock()) return tracer;
    }
    return disabled_tracer();
  } catch (...) {
    return disabled_tracer();
  }
}

void enrich_span(SpanRef span, const Enrichment& enrichment) noexcept {
  if (enrichment.inputs) span.set_inputs(*enrichment.inputs);
  if (enrichment.outputs) span.set_outputs(*enrichment.outputs);
  if (enrichment.metadata) span.set_metadata(*enrichment.metadata);
  if (enrichment.metrics) span.set_metrics(*enrichment.metrics);
  if (enrichment.feedback) span.set_feedback(*enrichment.feedback);
  if (enrichment.config) span.set_config(*enrichment.config);
  if (enrichment.user_properties) span.set_user_properties(*enrichment.user_properties);
  if (enrichment.error) span.set_error(*enrichment.error);
}

void enrich_span(const Enrichment& enrichment) noexcept { enrich_span(Context::current().span(), enrichment); }

void HoneyHiveTracer::enrich_session(const Enrichment& enrichment) noexcept {
  ScopedDiagnosticSink route(diagnostics_);
  try {
    if (config_.disabled) return;
    SpanContext session_span;
    std::string own_session;
    {
      std::lock_guard<detail::SpinMutex> lock(session_mutex_);
      session_span = session_span_;
      own_session = session_id_;
    }
    // The session of the active context wins (an evaluate() datapoint's, or one continued from
    // another service): the enrichment span is started under it and carries its id.
    const auto active_session = Context::current().baggage("session_id");
    const bool other_session = active_session && !active_session->empty() && *active_session != own_session;
    if (!other_session && !session_span.is_valid()) {
      report_diagnostic(DiagnosticLevel::warning,
                        {"enrich_session: tracer ", id_, " has no session (start_session = false); nothing enriched"});
      return;
    }
    StartSpanOptions options;
    if (!other_session) options.links.push_back(SpanLink{session_span, {}, 0});
    Span span = start_span("session_enrichment", EventType::session, std::move(options));
    span.set_attribute("honeyhive.session_enrichment", true);
    enrich_span(span, enrichment);
  } catch (...) {
  }
}

void enrich_session(const Enrichment& enrichment) noexcept {
  if (const auto tracer = current_tracer()) tracer->enrich_session(enrichment);
}

Span start_span_in_current_tracer(std::string_view name, EventType type) noexcept {
  const auto tracer = current_tracer();  // null only when even the disabled tracer could not be built
  return tracer ? tracer->start_span(name, type) : Span();
}

Span HoneyHiveTracer::start_session_span(std::string_view name, const std::string& session_id,
                                         const std::vector<BaggageEntry>& baggage, const Context& parent) noexcept {
  try {
    if (config_.disabled) return Span();
    // Naming this tracer in the parent's baggage keeps start_span from replacing the session with the
    // tracer's own.
    Context context = parent.with_baggage(kTracerIdKey, id_)
                          .with_baggage("session_id", session_id)
                          .with_baggage("source", config_.source);
    if (!config_.project.empty()) context = context.with_baggage("project", config_.project);
    for (const auto& entry : baggage) context = context.with_baggage(entry.key, entry.value, entry.properties);
    StartSpanOptions options;
    options.parent = std::move(context);
    Span span = start_span(name, EventType::session, std::move(options));
    span.set_attribute("honeyhive.session_name", name);
    remember_session_span(span.context());
    return span;
  } catch (...) {
    return Span();
  }
}

void HoneyHiveTracer::record_json_result(Span& span, const nlohmann::json& result) noexcept {
  try {
    span.set_outputs(nlohmann::json{{"result", detail::copy_within_depth(result)}});
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "trace(): the result could not be recorded (out of memory)");
  }
}

void HoneyHiveTracer::record_json_result(Span& span, nlohmann::json&& result) noexcept {
  try {
    span.set_outputs(nlohmann::json{{"result", detail::copy_within_depth(std::move(result))}});
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "trace(): the result could not be recorded (out of memory)");
  }
}

void HoneyHiveTracer::record_to_json_failure(Span& span) noexcept {
  try {
    span.set_outputs(nlohmann::json{{"result", "[to_json failed]"}});
  } catch (...) {
  }
  report_diagnostic(DiagnosticLevel::warning,
                    "trace(): the result's to_json threw; its output is recorded as \"[to_json failed]\"");
}

}  // namespace honeyhive
