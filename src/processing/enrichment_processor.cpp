#include "honeyhive/processing/enrichment_processor.hpp"

#include <cassert>
#include <mutex>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/reserved_baggage.hpp"
#include "core/static_key_texts.hpp"

namespace honeyhive {
namespace {

// The two attribute names HoneyHive reads for one association property (its own and Traceloop's),
// spelled out so no span builds them again.
struct PairKeys {
  detail::LiteralKey honeyhive;
  detail::LiteralKey traceloop;
};
constexpr PairKeys kSessionIdKeys{"honeyhive.session_id", "traceloop.association.properties.session_id"};
constexpr PairKeys kProjectKeys{"honeyhive.project", "traceloop.association.properties.project"};
constexpr PairKeys kSourceKeys{"honeyhive.source", "traceloop.association.properties.source"};
constexpr PairKeys kParentIdKeys{"honeyhive.parent_id", "traceloop.association.properties.parent_id"};

// Slots a span keeps free below its attribute count limit, while inbound baggage is copied onto it,
// for the attributes the tracer writes after the enrichment: the event type and name, whether the
// parent is the session, and a session's name.
constexpr std::size_t kSlotsKeptForTheTracer = 4;

// The attributes of one span's enrichment, written together (one acquisition of the span's lock):
// as text, into the span's recycled slots, with no temporary string per attribute.
class PendingTexts {
 public:
  PendingTexts() noexcept {}  // the items are written as they are added, not zeroed first (a rep stos of 352 bytes)
  void add(detail::LiteralKey key, std::string_view value) noexcept {
    assert(count_ < kCapacity);
    new (&storage_.items[count_++]) detail::LiteralKeyText{key, value};
  }
  void add_pair(const PairKeys& keys, std::string_view value) noexcept {
    add(keys.honeyhive, value);
    add(keys.traceloop, value);
  }
  void write(SpanRef& span) const noexcept { detail::StaticKeyTexts::write(span, storage_.items, count_); }

 private:
  // Four pairs and the three evaluation keys.
  static constexpr std::size_t kCapacity = 4 * 2 + 3;
  static_assert(std::is_trivially_destructible_v<detail::LiteralKeyText>);
  union Storage {
    Storage() noexcept {}  // NOLINT: leaves the items unwritten; [0, count_) are written before they are read
    detail::LiteralKeyText items[kCapacity];
  } storage_;
  std::size_t count_ = 0;
};

// This thread's reference to the defaults it used last (of whichever processor), so that a span
// start whose processor still has the same ones takes no reference of its own: a reference is an
// atomic increment and decrement on a count every thread tracing through the processor shares.
// Holding it keeps that object alive, so its address is never another's while it is here.
enum class CacheState : unsigned char { unused, alive, destroyed };
thread_local CacheState t_defaults_state = CacheState::unused;  // trivially destructible: readable at thread exit
struct DefaultsCache {
  std::shared_ptr<const EnrichmentDefaults> defaults;
  DefaultsCache() noexcept { t_defaults_state = CacheState::alive; }
  ~DefaultsCache() { t_defaults_state = CacheState::destroyed; }
  DefaultsCache(const DefaultsCache&) = delete;
  DefaultsCache& operator=(const DefaultsCache&) = delete;
};
thread_local DefaultsCache t_defaults;

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
    // The current defaults, through this thread's reference when it is to the same ones; a thread
    // whose reference is already destroyed (a span started in a thread_local destructor) takes its
    // own for this span.
    std::shared_ptr<const EnrichmentDefaults> own;
    const EnrichmentDefaults* defaults;
    {
      std::lock_guard<detail::SpinMutex> lock(mutex_);
      if (t_defaults_state != CacheState::destroyed) {
        DefaultsCache& cache = t_defaults;
        if (cache.defaults != defaults_) cache.defaults = defaults_;
        defaults = cache.defaults.get();
      } else {
        own = defaults_;
        defaults = own.get();
      }
    }
    // One pass over the parent's baggage: the first entry of each reserved key, and whether there
    // are others (a span under a session or chain has the tracer's entries; a root span none).
    const auto& baggage = parent.all_baggage();
    const std::string* reserved[detail::kReservedBaggageKeys] = {};
    bool others = false;
    for (const auto& entry : baggage) {
      const detail::ReservedBaggageKey which = detail::reserved_baggage_key(entry.key);
      if (which == detail::kNotReservedBaggage) {
        others = true;
      } else if (reserved[which] == nullptr) {
        reserved[which] = &entry.value;
      }
    }
    const std::string* owner = reserved[detail::kBaggageTracerId];
    const bool baggage_is_ours = owner == nullptr || *owner == defaults->tracer_id;

    PendingTexts texts;
    const std::string* session = baggage_is_ours ? reserved[detail::kBaggageSessionId] : nullptr;
    const std::string& session_id = session != nullptr && !session->empty() ? *session : defaults->session_id;
    if (!session_id.empty()) texts.add_pair(kSessionIdKeys, session_id);
    // Another tracer's project is not this tracer's (a tracer without one stamps none).
    const std::string* project = baggage_is_ours ? reserved[detail::kBaggageProject] : nullptr;
    const std::string& project_name = !defaults->project.empty() ? defaults->project
                                      : project                  ? *project
                                                                 : defaults->project;
    if (!project_name.empty()) texts.add_pair(kProjectKeys, project_name);
    const std::string* source = baggage_is_ours ? reserved[detail::kBaggageSource] : nullptr;
    const std::string& source_name = source != nullptr && !source->empty() ? *source : defaults->source;
    if (!source_name.empty()) texts.add_pair(kSourceKeys, source_name);
    if (const std::string* parent_id = reserved[detail::kBaggageParentId]; parent_id != nullptr && baggage_is_ours) {
      texts.add_pair(kParentIdKeys, *parent_id);
    }
    static constexpr std::pair<detail::ReservedBaggageKey, detail::LiteralKey> kEvaluationKeys[] = {
        {detail::kBaggageRunId, "honeyhive_metadata.run_id"},
        {detail::kBaggageDatasetId, "honeyhive_metadata.dataset_id"},
        {detail::kBaggageDatapointId, "honeyhive_metadata.datapoint_id"}};
    for (const auto& [key, attribute] : kEvaluationKeys) {
      if (const std::string* value = reserved[key]) texts.add(attribute, *value);
    }
    texts.write(span);
    if (others) {
      // The tracer's event type and name come after these: under a lowered attribute count limit,
      // many inbound members must not leave them no room (the copies are what is dropped, counted).
      for (const auto& entry : baggage) {
        if (detail::reserved_baggage_key(entry.key) == detail::kNotReservedBaggage) {
          detail::StaticKeyTexts::write_leaving_room(span, "baggage." + entry.key, entry.value, kSlotsKeptForTheTracer);
        }
      }
    }
  } catch (...) {
    // Enrichment is best effort: the span still records what the user sets.
  }
}

void EnrichmentProcessor::on_end(const SpanDataPtr&) noexcept {}
bool EnrichmentProcessor::force_flush(std::chrono::milliseconds) noexcept { return true; }
bool EnrichmentProcessor::shutdown(std::chrono::milliseconds) noexcept { return true; }

}  // namespace honeyhive
