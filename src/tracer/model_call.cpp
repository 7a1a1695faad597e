#include "honeyhive/tracer/model_call.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "core/json_depth.hpp"

namespace honeyhive {
namespace {

const nlohmann::json* find_member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// An integer member as an attribute: above INT64_MAX its decimal text (as flattening records it),
// never a wrapped negative number.
void set_integer(SpanRef& span, std::string_view key, const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    span.set_attribute(key, value.get<std::uint64_t>());
  } else {
    span.set_attribute(key, value.get<std::int64_t>());
  }
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
      set_integer(span, "gen_ai.request.max_tokens", *max_tokens);
      config["max_tokens"] = *max_tokens;
    }
    if (!config.empty()) span.set_config(config);
    if (const auto* messages = find_member(request, "messages")) {
      span.set_inputs(nlohmann::json{{"chat_history", detail::copy_within_depth(*messages)}});
    } else if (const auto* prompt = find_member(request, "prompt")) {
      span.set_inputs(nlohmann::json{{"prompt", detail::copy_within_depth(*prompt)}});
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
          span.set_outputs(nlohmann::json{{"text", detail::copy_within_depth(*text)}});
        }
      }
    }
    if (const auto* usage = find_member(response, "usage"); usage && usage->is_object()) {
      nlohmann::json metrics = nlohmann::json::object();
      if (const auto* input = find_member(*usage, "prompt_tokens"); input && input->is_number_integer()) {
        set_integer(span, "gen_ai.usage.input_tokens", *input);
        metrics["prompt_tokens"] = *input;
      }
      if (const auto* output = find_member(*usage, "completion_tokens"); output && output->is_number_integer()) {
        set_integer(span, "gen_ai.usage.output_tokens", *output);
        metrics["completion_tokens"] = *output;
      }
      if (!metrics.empty()) span.set_metrics(metrics);
    }
  } catch (...) {
    // Best effort: whatever was recorded before the failure stays.
  }
}

}  // namespace honeyhive
