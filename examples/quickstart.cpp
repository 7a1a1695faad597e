// quickstart: traces a small simulated LLM workflow (a session with a chain, a retrieval tool call
// and a model call) to the embedded default: no network. Spans are printed as a tree on the console
// and written as OTLP/JSON lines to a local file.
//
//   quickstart [output.jsonl]
#include <honeyhive/honeyhive.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Document {
  std::string id;
  std::string text;
  double score;
};

// A user type: any type with a to_json overload can be recorded as structured data.
void to_json(nlohmann::json& j, const Document& d) { j = {{"id", d.id}, {"text", d.text}, {"score", d.score}}; }

void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::vector<Document> retrieve(honeyhive::Tracer& tracer, const std::string& query) {
  auto span = tracer.start_span("retrieve_docs");
  auto scope = span.activate();
  span.set_attribute("honeyhive_event_type", "tool");
  span.set_structured("honeyhive_inputs", nlohmann::json{{"query", query}, {"top_k", 2}});
  pause_ms(3);  // the simulated vector search
  std::vector<Document> docs = {
      {"kb-17", "Refunds are issued within 5 business days.", 0.91},
      {"kb-42", "Orders can be cancelled before they ship.", 0.77},
  };
  span.set_structured("honeyhive_outputs", nlohmann::json{{"documents", docs}});
  span.set_structured("honeyhive_metadata", nlohmann::json{{"retriever", "bm25"}, {"index", "support-kb"}});
  return docs;
}

std::string generate(honeyhive::Tracer& tracer, const std::string& question, const std::vector<Document>& docs) {
  auto span = tracer.start_span("generate_answer", honeyhive::StartSpanOptions{honeyhive::SpanKind::client, {}, 0, {}, {}});
  auto scope = span.activate();
  span.set_attribute("honeyhive_event_type", "model");
  span.set_attribute("gen_ai.system", "simulated");
  span.set_attribute("gen_ai.request.model", "sim-gpt-small");
  span.set_structured("honeyhive_inputs",
                      nlohmann::json{{"chat_history", {{{"role", "user"}, {"content", question}}}}, {"context", docs}});
  pause_ms(8);  // the simulated model call
  const std::string answer = "Refunds are issued within 5 business days of cancellation.";
  span.set_structured("honeyhive_outputs", nlohmann::json{{"role", "assistant"}, {"content", answer}});
  span.set_structured("honeyhive_config", nlohmann::json{{"temperature", 0.2}, {"max_tokens", 256}});
  span.set_structured("honeyhive_metrics", nlohmann::json{{"prompt_tokens", 182}, {"completion_tokens", 14}});
  span.set_attribute("gen_ai.usage.input_tokens", 182);
  span.set_attribute("gen_ai.usage.output_tokens", 14);
  return answer;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "honeyhive-quickstart.jsonl";
  std::error_code ignored;
  std::filesystem::remove(path, ignored);  // each run writes only its own spans

  honeyhive::ProviderOptions options;
  options.resource = honeyhive::Resource::create({{"service.name", std::string("quickstart")}});
  options.sampler = honeyhive::make_always_on_sampler();
  options.processors.push_back(
      std::make_unique<honeyhive::SimpleSpanProcessor>(std::make_unique<honeyhive::ConsoleExporter>()));
  honeyhive::FileExporterOptions file_options;
  file_options.path = path;
  options.processors.push_back(
      std::make_unique<honeyhive::SimpleSpanProcessor>(std::make_unique<honeyhive::FileExporter>(file_options)));
  auto provider = honeyhive::Provider::create(std::move(options));
  auto tracer = provider->get_tracer("quickstart", honeyhive::kVersion);

  {
    auto session = tracer->start_span("support-bot");
    auto session_scope = session.activate();
    const std::string session_id = session.context().trace_id().to_hex();
    session.set_attribute("honeyhive_event_type", "session");
    session.set_attribute("honeyhive.session_id", session_id);
    session.set_attribute("honeyhive.project", "quickstart");
    session.set_attribute("honeyhive.source", "dev");
    session.set_structured("honeyhive_metadata", nlohmann::json{{"user", {{"id", 123}, {"plan", "pro"}}}});

    auto chain = tracer->start_span("answer_question");
    auto chain_scope = chain.activate();
    const std::string question = "How long do refunds take?";
    chain.set_attribute("honeyhive_event_type", "chain");
    chain.set_structured("honeyhive_inputs", nlohmann::json{{"question", question}});
    const auto docs = retrieve(*tracer, question);
    const auto answer = generate(*tracer, question, docs);
    chain.set_structured("honeyhive_outputs", nlohmann::json{{"answer", answer}});
    chain.add_event("answer_ready", {{"characters", static_cast<std::int64_t>(answer.size())}});
  }

  provider->force_flush();
  provider->shutdown();
  std::printf("\nOTLP/JSON spans written to %s\n", std::filesystem::absolute(path).c_str());
  return 0;
}
