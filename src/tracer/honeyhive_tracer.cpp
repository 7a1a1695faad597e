#include "honeyhive/tracer/honeyhive_tracer.hpp"

#include <array>
#include <map>

#include "core/random.hpp"
#include "core/uuid.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/console_exporter.hpp"
#include "honeyhive/export/file_exporter.hpp"
#include "honeyhive/export/honeyhive_event_exporter.hpp"
#include "honeyhive/export/otlp_http_exporter.hpp"
#include "honeyhive/processing/batch_span_processor.hpp"
#include "honeyhive/processing/enrichment_processor.hpp"
#include "honeyhive/processing/simple_span_processor.hpp"
#include "honeyhive/version.hpp"
#include "tracer/registry.hpp"

namespace honeyhive {
namespace {

constexpr const char* kTracerIdKey = "honeyhive_tracer_id";
constexpr const char* kEmbeddedFile = "honeyhive-traces.jsonl";

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<HoneyHiveTracer>> tracers;
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
      if (exporter->export_spans(spans) != ExportResult::success) result = ExportResult::failure;
    }
    return result;
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    bool all = true;
    for (const auto& exporter : exporters_) all = exporter->force_flush(timeout) && all;
    return all;
  }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    bool all = true;
    for (const auto& exporter : exporters_) all = exporter->shutdown(timeout) && all;
    return all;
  }

 private:
  std::vector<std::unique_ptr<SpanExporter>> exporters_;
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

const char* to_string(EventType type) noexcept {
  switch (type) {
    case EventType::session: return "session";
    case EventType::chain: return "chain";
    case EventType::model: return "model";
    case EventType::tool: return "tool";
  }
  return "tool";
}

namespace detail {

std::string make_uuid_v4() {
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t half = 0; half < 2; ++half) {
    const std::uint64_t r = random_u64();
    for (std::size_t i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<std::uint8_t>(r >> (8U * i));
  }
  return format_uuid(bytes, 4);
}

void register_tracer(const std::shared_ptr<HoneyHiveTracer>& tracer) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto it = r.tracers.begin(); it != r.tracers.end();) {
    it = it->second.expired() ? r.tracers.erase(it) : std::next(it);
  }
  r.tracers[tracer->id()] = tracer;
  if (!r.default_chosen_by_user && r.default_tracer.expired()) r.default_tracer = tracer;
}

void unregister_tracer(const std::string& id) noexcept {
  try {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.tracers.erase(id);
  } catch (...) {
  }
}

}  // namespace detail

struct HoneyHiveTracer::Private {
  std::string id;
  ResolvedConfig config;
  std::shared_ptr<Provider> provider;
  EnrichmentProcessor* enrichment = nullptr;
  std::string exporter_description;
};

HoneyHiveTracer::HoneyHiveTracer(Private&& parts)
    : id_(std::move(parts.id)),
      config_(std::move(parts.config)),
      provider_(std::move(parts.provider)),
      tracer_(provider_->get_tracer("honeyhive-cpp", kVersion)),
      enrichment_(parts.enrichment),
      exporter_description_(std::move(parts.exporter_description)) {}

HoneyHiveTracer::~HoneyHiveTracer() {
  detail::unregister_tracer(id_);
  shutdown(std::chrono::milliseconds(2000));
}

std::shared_ptr<HoneyHiveTracer> HoneyHiveTracer::init(const TracerConfig& config, const SessionConfig& session,
                                                       const EvaluationConfig& evaluation,
                                                       const TracerConfig& overrides, TracerOptions options) noexcept {
  try {
    Private parts;
    parts.id = detail::make_uuid_v4();
    parts.config = resolve_config(config, session, evaluation, overrides);
    const ResolvedConfig& resolved = parts.config;
    for (const auto& line : resolved.diagnostics) report_diagnostic(DiagnosticLevel::warning, "config: " + line);

    ProviderOptions provider_options;
    Attributes resource;
    if (!resolved.service_name.empty()) resource.push_back({"service.name", AttributeValue{resolved.service_name}});
    if (!resolved.project.empty()) resource.push_back({"honeyhive.project", AttributeValue{resolved.project}});
    resource.push_back({"honeyhive.source", AttributeValue{resolved.source}});
    resource.push_back({"honeyhive.tracer_id", AttributeValue{parts.id}});
    provider_options.resource = Resource::create(resource);
    provider_options.content.mask = std::move(options.mask);
    provider_options.content.record_content = resolved.trace_content;

    std::unique_ptr<SpanExporter> exporter = std::move(options.exporter);
    if (resolved.export_mode == "events" && resolved.api_key.empty() && !resolved.disabled && !exporter) {
      report_diagnostic(DiagnosticLevel::warning,
                        "export_mode=events needs an API key (HH_API_KEY); exporting as if export_mode=otlp");
    }
    if (resolved.disabled) {
      provider_options.sampler = make_always_off_sampler();
      parts.exporter_description = "disabled (OTEL_SDK_DISABLED)";
      exporter.reset();
    } else if (exporter) {
      parts.exporter_description = "custom exporter";
    } else if (!resolved.api_key.empty() && resolved.export_mode == "events") {
      HoneyHiveEventExporterOptions events;
      events.api_url = resolved.api_url;
      events.api_key = resolved.api_key;
      events.request = resolved.disable_batch ? HoneyHiveEventsRequest::single : HoneyHiveEventsRequest::batch;
      parts.exporter_description = "honeyhive-events " + redact_url(resolved.api_url) +
                                   (resolved.disable_batch ? "/v1/events" : "/v1/events/batch");
      exporter = std::make_unique<HoneyHiveEventExporter>(std::move(events));
    } else if (!resolved.api_key.empty()) {
      OtlpHttpExporterOptions otlp = OtlpHttpExporterOptions::from_env();
      otlp.endpoint = resolved.api_url + "/opentelemetry/v1/traces";
      otlp.protocol = resolved.otlp_protocol == "http/protobuf" ? OtlpProtocol::http_protobuf : OtlpProtocol::http_json;
      otlp.headers = {{"Authorization", "Bearer " + resolved.api_key},
                      {"X-Source", resolved.source},
                      {"hh-client-version", kVersion},
                      {"hh-client-language", "cpp"},
                      {"hh-client-package", "honeyhive-cpp"}};
      parts.exporter_description = "honeyhive-otlp " + redact_url(otlp.endpoint) + " (" + resolved.otlp_protocol + ")";
      exporter = std::make_unique<OtlpHttpExporter>(std::move(otlp));
    } else if (!resolved.otlp_endpoint.empty()) {
      OtlpHttpExporterOptions otlp = OtlpHttpExporterOptions::from_env();
      otlp.endpoint = resolved.otlp_endpoint;
      otlp.protocol = resolved.otlp_protocol == "http/protobuf" ? OtlpProtocol::http_protobuf : OtlpProtocol::http_json;
      parts.exporter_description = "otlp " + redact_url(otlp.endpoint) + " (" + resolved.otlp_protocol + ")";
      exporter = std::make_unique<OtlpHttpExporter>(std::move(otlp));
    } else {
      std::vector<std::unique_ptr<SpanExporter>> both;
      both.push_back(std::make_unique<ConsoleExporter>());
      both.push_back(std::make_unique<FileExporter>(FileExporterOptions{kEmbeddedFile, 64ULL * 1024 * 1024}));
      parts.exporter_description = std::string("embedded (console tree + ") + kEmbeddedFile + ")";
      exporter = std::make_unique<FanOutExporter>(std::move(both));
    }

    auto enrichment = std::make_unique<EnrichmentProcessor>(
        EnrichmentDefaults{parts.id, resolved.session.id, resolved.project, resolved.source});
    parts.enrichment = enrichment.get();
    provider_options.processors.push_back(std::move(enrichment));
    if (exporter) {
      if (resolved.disable_batch) {
        provider_options.processors.push_back(std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
      } else {
        provider_options.processors.push_back(std::make_unique<BatchSpanProcessor>(std::move(exporter)));
      }
    }
    parts.provider = Provider::create(std::move(provider_options));
    if (!parts.provider) return nullptr;
    report_diagnostic(DiagnosticLevel::info, "tracer " + parts.id + " exports to " + parts.exporter_description);

    auto tracer = std::make_shared<HoneyHiveTracer>(std::move(parts));
    if (!resolved.disabled) {
      detail::register_tracer(tracer);
      SessionConfig first;
      tracer->start_session(first);
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
  try {
    ResolvedConfig resolved = resolve_config(TracerConfig{}, session);
    // The first session takes the tracer's own resolved session fields.
    std::string id;
    std::string name;
    {
      std::lock_guard<std::mutex> lock(session_mutex_);
      const bool first = session_id_.empty();
      id = !resolved.session.id.empty() && session.session_id.has_value() ? resolved.session.id
           : first && !config_.session.id.empty()                         ? config_.session.id
                                                                          : detail::make_uuid_v4();
      name = session.session_name.has_value() ? *session.session_name
             : !config_.session.name.empty()  ? config_.session.name
                                              : "session";
      session_id_ = id;
    }
    if (enrichment_ != nullptr) enrichment_->set_session_id(id);
    // The session event: a short span carrying the session's name and starting values.
    Span span = start_span(name, EventType::session);
    const auto& inputs = session.inputs.has_value() ? *session.inputs : config_.session.inputs;
    const auto& metadata = session.metadata.has_value() ? *session.metadata : config_.session.metadata;
    const auto& user_properties =
        session.user_properties.has_value() ? *session.user_properties : config_.session.user_properties;
    if (!inputs.is_null()) span.set_inputs(inputs);
    if (!metadata.is_null()) span.set_metadata(metadata);
    if (!user_properties.is_null()) span.set_user_properties(user_properties);
    span.set_attribute("honeyhive.session_name", name);
    {
      std::lock_guard<std::mutex> lock(session_mutex_);
      session_span_ = span.context();
    }
    return id;
  } catch (...) {
    return session_id();
  }
}

std::string HoneyHiveTracer::session_id() const {
  std::lock_guard<std::mutex> lock(session_mutex_);
  return session_id_;
}

Span HoneyHiveTracer::start_span(std::string_view name, EventType type, StartSpanOptions options) noexcept {
  try {
    if (config_.disabled) return Span();
    const Context parent = options.parent ? *options.parent : Context::current();
    options.parent = parent;
    Span span = tracer_->start_span(name, options);
    if (!span) return span;
    span.set_attribute("honeyhive_event_type", to_string(type));
    span.set_attribute("honeyhive_event_name", name);
    // The active context names this tracer and its session, for discovery and downstream services.
    Context active = parent.with_span(span);
    if (active.baggage(kTracerIdKey) != id_) {
      active = active.with_baggage(kTracerIdKey, id_);
      const std::string session = session_id();
      if (!session.empty()) active = active.with_baggage("session_id", session);
      active = active.with_baggage("source", config_.source);
      if (!config_.project.empty()) active = active.with_baggage("project", config_.project);
      if (config_.evaluation.active()) {
        active = active.with_baggage("run_id", config_.evaluation.run_id);
        active = active.with_baggage("dataset_id", config_.evaluation.dataset_id);
        active = active.with_baggage("datapoint_id", config_.evaluation.datapoint_id);
      }
    }
    span.hold_scope(Scope(active));
    return span;
  } catch (...) {
    return Span();
  }
}

std::string HoneyHiveTracer::config_report() const {
  return "tracer " + id_ + " exports to " + exporter_description_ + "\n" + config_.report_text();
}

nlohmann::json HoneyHiveTracer::config_report_json() const {
  nlohmann::json report = config_.report_json();
  report["tracer_id"] = id_;
  report["exporter"] = exporter_description_;
  return report;
}

bool HoneyHiveTracer::flush(std::chrono::milliseconds timeout) noexcept {
  return provider_ ? provider_->force_flush(timeout) : true;
}

bool HoneyHiveTracer::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (!provider_) return true;
  provider_->force_flush(timeout / 2);
  return provider_->shutdown(timeout / 2);
}

std::shared_ptr<HoneyHiveTracer> find_tracer(const std::string& tracer_id) noexcept {
  try {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    const auto it = r.tracers.find(tracer_id);
    return it == r.tracers.end() ? nullptr : it->second.lock();
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
  try {
    if (config_.disabled) return;
    SpanContext session_span;
    {
      std::lock_guard<std::mutex> lock(session_mutex_);
      session_span = session_span_;
    }
    StartSpanOptions options;
    if (session_span.is_valid()) options.links.push_back(SpanLink{session_span, {}, 0});
    Span span = start_span("session_enrichment", EventType::session, std::move(options));
    span.set_attribute("honeyhive.session_enrichment", true);
    enrich_span(span, enrichment);
  } catch (...) {
  }
}

void enrich_session(const Enrichment& enrichment) noexcept { current_tracer()->enrich_session(enrichment); }

}  // namespace honeyhive
