// evaluate: scores a toy "LLM" (a deterministic function) on a small inline dataset with two
// evaluators, and prints the summary table. No network: the spans go to ./honeyhive-eval-traces.jsonl
// (OTLP/JSON lines), each linked to its run, dataset and datapoint.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <honeyhive/honeyhive.hpp>

namespace {

// Library code the model call goes through: it finds the tracer from the context.
std::string toy_llm(const std::string& question) {
  HH_SPAN(span, "toy_llm", model);
  span.set_inputs({{"question", question}});
  static const std::map<std::string, std::string> known = {
      {"capital of France", "Paris"},
      {"capital of Japan", "Tokyo"},
      {"capital of Italy", "Rome"},
      {"capital of Australia", "Sydney"},  // the toy model's mistake
  };
  for (const auto& [topic, answer] : known) {
    if (question.find(topic) != std::string::npos) {
      span.set_outputs({{"answer", answer}});
      return answer;
    }
  }
  span.set_error("no answer");
  throw std::runtime_error("the toy model has no answer for: " + question);
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

int main() {
  honeyhive::TracerConfig config;
  config.project = "evaluate-example";
  config.api_key = honeyhive::null;  // local only, whatever the environment says
  config.otlp_endpoint = honeyhive::null;
  honeyhive::FileExporterOptions file;
  file.path = "honeyhive-eval-traces.jsonl";
  honeyhive::TracerOptions tracer_options;
  tracer_options.exporter = std::make_unique<honeyhive::FileExporter>(file);
  auto tracer = honeyhive::HoneyHiveTracer::init(config, {}, {}, {}, std::move(tracer_options));

  honeyhive::EvaluateOptions options;
  options.tracer = tracer;
  options.name = "capitals-v1";
  options.max_workers = 2;
  const std::pair<const char*, const char*> rows[] = {
      {"What is the capital of France?", "Paris"}, {"What is the capital of Japan?", "Tokyo"},
      {"What is the capital of Italy?", "Rome"},   {"What is the capital of Australia?", "Canberra"},
      {"What is the capital of Peru?", "Lima"},
  };
  for (const auto& [question, answer] : rows) {
    honeyhive::Datapoint datapoint;
    datapoint.inputs = {{"question", question}};
    datapoint.ground_truth = {{"answer", answer}};
    options.dataset.push_back(std::move(datapoint));
  }
  options.function = [](const nlohmann::json& inputs, const nlohmann::json&) {
    return nlohmann::json{{"answer", toy_llm(inputs.at("question").get<std::string>())}};
  };
  options.evaluators.push_back(
      {"exact_match", [](const nlohmann::json& outputs, const nlohmann::json&, const nlohmann::json& truth) {
         return lowercase(outputs.value("answer", "")) == lowercase(truth.value("answer", ""));
       }});
  options.evaluators.push_back(
      {"brevity", [](const nlohmann::json& outputs, const nlohmann::json&, const nlohmann::json&) {
         const double length = static_cast<double>(outputs.value("answer", "").size());
         return nlohmann::json{{"score", std::min(1.0, 5.0 / std::max(length, 1.0))},
                               {"explanation", "1.0 up to 5 characters"}};
       }});

  const honeyhive::EvaluationSummary summary = honeyhive::evaluate(std::move(options));
  summary.print();
  tracer->shutdown();
  std::printf("\nspans written to ./honeyhive-eval-traces.jsonl\n");
  return 0;
}
