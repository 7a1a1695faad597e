// events_mode: traces a small workflow in HoneyHive "client mode", where each finished span goes to
// the HoneyHive Events API as an event (docs/honeyhive-api.md).
//
//   events_mode http://127.0.0.1:8080   sends to the (fake) HoneyHive API at that base URL:
//                                       POST /v1/sessions, POST /v1/events/batch, PUT /v1/events/{id}
//   events_mode                         sends nothing: prints each request it would make
//
// The API key comes from HH_API_KEY (a placeholder is used against a given URL when it is unset).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <honeyhive/honeyhive.hpp>

namespace {

using json = nlohmann::json;

// Prints the requests the events exporter would make for each batch, instead of sending them.
class PrintingEventExporter final : public honeyhive::SpanExporter {
 public:
  honeyhive::ExportResult export_spans(const std::vector<honeyhive::SpanDataPtr>& spans) noexcept override {
    try {
      // The order the real exporter keeps: session starts, then the events, then session updates.
      json batch = {{"events", json::array()}};
      std::vector<std::pair<std::string, json>> updates;
      for (const auto& span : spans) {
        const std::string session = honeyhive::honeyhive_session_id_of(*span);
        switch (honeyhive::honeyhive_span_role(*span)) {
          case honeyhive::HoneyHiveSpanRole::session_start:
            print("POST /v1/sessions", honeyhive::span_to_honeyhive_session(*span));
            break;
          case honeyhive::HoneyHiveSpanRole::session_enrichment:
            updates.emplace_back("PUT /v1/events/" + session, honeyhive::span_to_honeyhive_event_update(*span));
            break;
          case honeyhive::HoneyHiveSpanRole::event:
            batch["events"].push_back(honeyhive::span_to_honeyhive_event(*span));
            break;
        }
      }
      if (!batch["events"].empty()) print("POST /v1/events/batch", batch);
      for (const auto& [request, body] : updates) print(request, body);
      return honeyhive::ExportResult::success;
    } catch (...) {
      return honeyhive::ExportResult::failure;
    }
  }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }

 private:
  static void print(const std::string& request, const json& body) {
    std::printf("%s\n%s\n\n", request.c_str(), body.dump(2).c_str());
  }
};

void run_workflow(honeyhive::HoneyHiveTracer& tracer) {
  auto chain = tracer.start_span("answer_question", honeyhive::EventType::chain);
  chain.set_inputs({{"question", "How long do refunds take?"}});
  tracer.trace("retrieve_docs", honeyhive::EventType::tool, [](honeyhive::Span& span) {
    span.set_inputs({{"query", "refund time"}, {"top_k", 2}});
    span.set_outputs({{"documents", {{{"id", "kb-17"}, {"score", 0.91}}, {{"id", "kb-42"}, {"score", 0.77}}}}});
  });
  tracer.trace("generate_answer", honeyhive::EventType::model, [](honeyhive::Span& span) {
    honeyhive::record_model_call(
        span,
        {{"model", "sim-gpt-small"}, {"messages", {{{"role", "user"}, {"content", "How long do refunds take?"}}}}},
        {{"choices", {{{"message", {{"role", "assistant"}, {"content", "Within 5 business days."}}}}}},
         {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 6}}}},
        "simulated");
  });
  chain.set_outputs({{"answer", "Within 5 business days."}});
}

}  // namespace

int main(int argc, char** argv) {
  const bool print_only = argc < 2;
  honeyhive::TracerConfig config;
  config.project = "events-demo";
  config.session_name = "refund-question";
  config.export_mode = "events";
  honeyhive::TracerOptions options;
  if (print_only) {
    config.api_key = honeyhive::null;
    options.exporter = std::make_unique<PrintingEventExporter>();
  } else {
    config.api_url = std::string(argv[1]);
    const char* key = std::getenv("HH_API_KEY");
    config.api_key = std::string(key != nullptr && *key != '\0' ? key : "demo-key");
  }
  honeyhive::SessionConfig session;
  session.user_properties = json{{"plan", "pro"}};
  auto tracer = honeyhive::HoneyHiveTracer::init(config, session, {}, {}, std::move(options));
  if (!tracer) return 1;

  run_workflow(*tracer);
  honeyhive::Enrichment feedback;
  feedback.feedback = json{{"rating", 5}};
  tracer->enrich_session(feedback);

  const bool flushed = tracer->flush();
  std::printf("session %s: exporter %s, flush %s\n", tracer->session_id().c_str(),
              tracer->exporter_description().c_str(), flushed ? "done" : "timed out");
  for (const auto& processor : tracer->provider()->processors()) {
    if (const auto* batch = dynamic_cast<const honeyhive::BatchSpanProcessor*>(processor.get())) {
      const auto stats = batch->stats();
      std::printf("spans exported %llu, failed %llu, rejected %llu; requests %llu (retries %llu)\n",
                  static_cast<unsigned long long>(stats.exported), static_cast<unsigned long long>(stats.failed),
                  static_cast<unsigned long long>(stats.rejected_spans),
                  static_cast<unsigned long long>(stats.export_requests),
                  static_cast<unsigned long long>(stats.retries));
    }
  }
  tracer->shutdown();
  return 0;
}
