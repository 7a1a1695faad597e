#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "honeyhive/core/span.hpp"

namespace honeyhive {

// Records a chat/completion call on a `model` span, from OpenAI-style request and response JSON
// ({"model","messages","temperature","max_tokens",...} / {"model","choices":[{"message","finish_reason"}],
// "usage":{"prompt_tokens","completion_tokens"}}), both as HoneyHive fields (inputs.chat_history,
// outputs = the first choice's message, config = the request parameters, metrics = token counts)
// and as the OpenTelemetry GenAI semantic conventions (gen_ai.operation.name, gen_ai.system,
// gen_ai.request.model/temperature/max_tokens, gen_ai.response.model/finish_reasons,
// gen_ai.usage.input_tokens/output_tokens). Missing or mistyped fields are skipped. Never throws.
void record_model_call(SpanRef span, const nlohmann::json& request, const nlohmann::json& response,
                       std::string_view system = "openai") noexcept;

}  // namespace honeyhive
