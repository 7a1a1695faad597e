#include "honeyhive/tracer/model_call.hpp"

#include <string>
#include <vector>

namespace honeyhive {
namespace {

const nlohmann::json* find_member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

void record_model_call(SpanRef span, const nlohmann::json& request, const nlohmann::json& response,
                       std::string_view system) noexcept {
  try {
    const bool chat = find_member(request, "messages") != nullptr;
    span.set_attribute("gen_ai.operation.name", chat ? "chat" : "text_completion");
    span.set_attribute("gen_ai.system", system);
    nlohmann::json config = nlohmann::json::object();
    if (const auto* model = find_member(request, "model"); model && model->is_string()) {
      span.set_attribute("gen_ai.request.model", model->get<std::string>());
      config["model"] = *model;
    }
    if (const auto* temperature = find_member(request, "temperature"); temperature && temperature->is_number()) {
      span.set_attribute("gen_ai.request.temperature", temperature->get<double>());
      config["temperature"] = *temperature;
    }
    if (const auto* max_tokens = find_member(request, "max_tokens"); max_tokens && max_tokens->is_number_integer()) {
      span.set_attribute("gen_ai.request.max_tokens", max_tokens->get<std::int64_t>());
      config["max_tokens"] = *max_tokens;
    }
    if (!config.empty()) span.set_config(config);
    if (const auto* messages = find_member(request, "messages")) {
      span.set_inputs(nlohmann::json{{"chat_history", *messages}});
    } else if (const auto* prompt = find_member(request, "prompt")) {
      span.set_inputs(nlohmann::json{{"prompt", *prompt}});
    }

    if (const auto* model = find_member(response, "model"); model && model->is_string()) {
      span.set_attribute("gen_ai.response.model", model->get<std::string>());
    }
    if (const auto* choices = find_member(response, "choices"); choices && choices->is_array()) {
      std::vector<std::string> reasons;
      for (const auto& choice : *choices) {
        if (const auto* reason = find_member(choice, "finish_reason"); reason && reason->is_string()) {
          reasons.push_back(reason->get<std::string>());
        }
      }
      if (!reasons.empty()) span.set_attribute("gen_ai.response.finish_reasons", reasons);
      if (!choices->empty()) {
        const auto& first = choices->front();
        if (const auto* message = find_member(first, "message")) {
          span.set_outputs(*message);
        } else if (const auto* text = find_member(first, "text")) {
          span.set_outputs(nlohmann::json{{"text", *text}});
        }
      }
    }
    if (const auto* usage = find_member(response, "usage"); usage && usage->is_object()) {
      nlohmann::json metrics = nlohmann::json::object();
      if (const auto* input = find_member(*usage, "prompt_tokens"); input && input->is_number_integer()) {
        span.set_attribute("gen_ai.usage.input_tokens", input->get<std::int64_t>());
        metrics["prompt_tokens"] = *input;
      }
      if (const auto* output = find_member(*usage, "completion_tokens"); output && output->is_number_integer()) {
        span.set_attribute("gen_ai.usage.output_tokens", output->get<std::int64_t>());
        metrics["completion_tokens"] = *output;
      }
      if (!metrics.empty()) span.set_metrics(metrics);
    }
  } catch (...) {
    // Best effort: whatever was recorded before the failure stays.
  }
}

}  // namespace honeyhive
