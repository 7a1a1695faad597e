// quickstart: traces a small simulated LLM workflow (a session with a chain, a retrieval tool call
// and a model call) with the SDK's default backend: hh-local when it runs on 127.0.0.1:4318 (the
// demo command starts it; the link to the session is printed at the end), else the embedded one,
// which writes OTLP/JSON lines to ./honeyhive-traces.jsonl. Either way the trace is printed as a tree.
// Never HoneyHive's API; an OTLP endpoint in the environment (OTEL_EXPORTER_OTLP_ENDPOINT) is used.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <honeyhive/honeyhive.hpp>

namespace {

struct Document {
  std::string id;
  std::string text;
  double score;
};

// Any type with a to_json overload can be recorded as structured data.
void to_json(nlohmann::json& j, const Document& d) { j = {{"id", d.id}, {"text", d.text}, {"score", d.score}}; }

void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Library code deep in the stack: it finds the tracer from the context, nobody passes it in.
std::vector<Document> retrieve(const std::string& query) {
  HH_SPAN(span, "retrieve_docs", tool);
  span.set_inputs({{"query", query}, {"top_k", 2}});
  pause_ms(3);  // the simulated vector search
  std::vector<Document> docs = {{"kb-17", "Refunds are issued within 5 business days.", 0.91},
                                {"kb-42", "Orders can be cancelled before they ship.", 0.77}};
  span.set_outputs({{"documents", docs}});
  honeyhive::Enrichment extra;
  extra.metadata = nlohmann::json{{"retriever", "bm25"}, {"index", "support-kb"}};
  honeyhive::enrich_span(extra);  // the active span of this thread
  return docs;
}

std::string generate(honeyhive::HoneyHiveTracer& tracer, const std::string& question,
                     const std::vector<Document>& docs) {
  return tracer.trace("generate_answer", honeyhive::EventType::model, [&](honeyhive::Span& span) {
    const nlohmann::json request = {{"model", "sim-gpt-small"},
                                    {"temperature", 0.2},
                                    {"max_tokens", 256},
                                    {"messages",
                                     {{{"role", "system"}, {"content", "Answer from: " + nlohmann::json(docs).dump()}},
                                      {{"role", "user"}, {"content", question}}}}};
    pause_ms(8);  // the simulated model call
    const std::string answer = "Refunds are issued within 5 business days of cancellation.";
    const nlohmann::json response = {
        {"model", "sim-gpt-small-2026"},
        {"choices", {{{"message", {{"role", "assistant"}, {"content", answer}}}, {"finish_reason", "stop"}}}},
        {"usage", {{"prompt_tokens", 182}, {"completion_tokens", 14}}}};
    honeyhive::record_model_call(span, request, response, "simulated");
    return answer;
  });
}

}  // namespace

int main() {
  honeyhive::TracerConfig config;
  config.project = "quickstart";
  config.session_name = "support-bot";
  config.api_key = honeyhive::null;  // never HoneyHive's API, whatever the environment says
  honeyhive::SessionConfig session;
  session.user_properties = nlohmann::json{{"user", {{"id", 123}, {"plan", "pro"}}}};
  honeyhive::TracerOptions options;
  options.console_tree = true;  // the tree on the console, also when the spans go to hh-local
  auto tracer = honeyhive::HoneyHiveTracer::init(config, session, {}, {}, std::move(options));

  {
    auto chain = tracer->start_span("answer_question", honeyhive::EventType::chain);
    const std::string question = "How long do refunds take?";
    chain.set_inputs({{"question", question}});
    const auto docs = retrieve(question);
    const auto answer = generate(*tracer, question, docs);
    chain.set_outputs({{"answer", answer}});
  }
  honeyhive::Enrichment feedback;
  feedback.feedback = nlohmann::json{{"rating", 5}, {"comment", "clear answer"}};
  honeyhive::enrich_session(feedback);

  tracer->shutdown();
  std::printf("\n%s", tracer->config_report().c_str());
  const std::string& exporter = tracer->exporter_description();
  if (exporter.rfind("hh-local ", 0) == 0) {
    std::printf("\nSession %s is in hh-local: http://127.0.0.1:%d/#/sessions/%s\n", tracer->session_id().c_str(),
                tracer->config().hh_local_port, tracer->session_id().c_str());
  } else if (exporter.rfind("embedded ", 0) == 0) {
    std::printf("\nOTLP/JSON spans written to %s\n", std::filesystem::absolute("honeyhive-traces.jsonl").c_str());
  }
  return 0;
}
