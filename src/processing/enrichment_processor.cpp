#include "honeyhive/processing/enrichment_processor.hpp"

#include <mutex>
#include <string_view>
#include <utility>

#include "core/baggage_find.hpp"

namespace honeyhive {
namespace {

bool is_reserved_key(const std::string& key) {
  return key == "session_id" || key == "project" || key == "source" || key == "parent_id" || key == "run_id" ||
         key == "dataset_id" || key == "datapoint_id" || key == "honeyhive_tracer_id" || key == "session_name";
}

// The two attribute names HoneyHive reads for one association property (its own and Traceloop's),
// spelled out so no span builds them again.
struct PairKeys {
  std::string_view honeyhive;
  std::string_view traceloop;
};
constexpr PairKeys kSessionIdKeys{"honeyhive.session_id", "traceloop.association.properties.session_id"};
constexpr PairKeys kProjectKeys{"honeyhive.project", "traceloop.association.properties.project"};
constexpr PairKeys kSourceKeys{"honeyhive.source", "traceloop.association.properties.source"};
constexpr PairKeys kParentIdKeys{"honeyhive.parent_id", "traceloop.association.properties.parent_id"};

// As text: written into the span's recycled slots, with no temporary string per attribute.
void set_pair(SpanRef& span, const PairKeys& keys, const std::string& value) {
  span.set_attribute_text(keys.honeyhive, value);
  span.set_attribute_text(keys.traceloop, value);
}

}  // namespace

EnrichmentProcessor::EnrichmentProcessor(EnrichmentDefaults defaults)
    : defaults_(std::make_shared<const EnrichmentDefaults>(std::move(defaults))) {}

void EnrichmentProcessor::set_session_id(std::string session_id) {
  std::lock_guard<detail::SpinMutex> lock(mutex_);
  auto next = std::make_shared<EnrichmentDefaults>(*defaults_);
  next->session_id = std::move(session_id);
  defaults_ = std::move(next);
}

EnrichmentDefaults EnrichmentProcessor::defaults() const {
  std::lock_guard<detail::SpinMutex> lock(mutex_);
  return *defaults_;
}

void EnrichmentProcessor::on_start(SpanRef& span, const Context& parent) noexcept {
  try {
    std::shared_ptr<const EnrichmentDefaults> defaults;
    {
      std::lock_guard<detail::SpinMutex> lock(mutex_);
      defaults = defaults_;
    }
    const auto& baggage = parent.all_baggage();
    const auto find = [&](std::string_view key) { return detail::find_baggage_value(baggage, key); };
    const std::string* owner = find("honeyhive_tracer_id");
    const bool baggage_is_ours = owner == nullptr || *owner == defaults->tracer_id;

    const std::string* session = baggage_is_ours ? find("session_id") : nullptr;
    const std::string& session_id = session != nullptr && !session->empty() ? *session : defaults->session_id;
    if (!session_id.empty()) set_pair(span, kSessionIdKeys, session_id);
    const std::string* project = find("project");
    const std::string& project_name = !defaults->project.empty() ? defaults->project
                                      : project                  ? *project
                                                                 : defaults->project;
    if (!project_name.empty()) set_pair(span, kProjectKeys, project_name);
    const std::string* source = baggage_is_ours ? find("source") : nullptr;
    const std::string& source_name = source != nullptr && !source->empty() ? *source : defaults->source;
    if (!source_name.empty()) set_pair(span, kSourceKeys, source_name);
    if (const std::string* parent_id = find("parent_id"); parent_id != nullptr && baggage_is_ours) {
      set_pair(span, kParentIdKeys, *parent_id);
    }
    static constexpr std::pair<std::string_view, std::string_view> kEvaluationKeys[] = {
        {"run_id", "honeyhive_metadata.run_id"},
        {"dataset_id", "honeyhive_metadata.dataset_id"},
        {"datapoint_id", "honeyhive_metadata.datapoint_id"}};
    for (const auto& [key, attribute] : kEvaluationKeys) {
      if (const std::string* value = find(key)) span.set_attribute_text(attribute, *value);
    }
    for (const auto& entry : baggage) {
      if (!is_reserved_key(entry.key)) span.set_attribute_text("baggage." + entry.key, entry.value);
    }
  } catch (...) {
    // Enrichment is best effort: the span still records what the user sets.
  }
}

void EnrichmentProcessor::on_end(const SpanDataPtr&) noexcept {}
bool EnrichmentProcessor::force_flush(std::chrono::milliseconds) noexcept { return true; }
bool EnrichmentProcessor::shutdown(std::chrono::milliseconds) noexcept { return true; }

}  // namespace honeyhive
