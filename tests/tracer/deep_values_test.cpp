// Values nested far deeper than a stack can recurse (a user's data, a model's output): every public
// path that copies, masks, dumps or records them whole cuts them at kMaxJsonDepth levels instead of
// overflowing the stack, and what is cut is marked.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/json_depth.hpp"
#include "honeyhive/core/structured.hpp"
#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "honeyhive/tracer/model_call.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/nested_json.hpp"
#include "support/recording_tracer.hpp"

namespace deep_values_test {
struct Unserializable {
  int x = 0;
};
inline void to_json(nlohmann::json&, const Unserializable&) { throw std::runtime_error("no json for this"); }
}  // namespace deep_values_test

namespace honeyhive {
namespace {

using json = nlohmann::json;

// Deep enough to overflow an 8 MiB stack in any build when copied or dumped recursively.
constexpr std::size_t kTooDeep = 200000;

json nested(std::size_t depth) { return test::nested_objects(depth); }

bool has_marker(const SpanData& span) {
  for (const auto& attribute : span.attributes) {
    if (const auto* text = std::get_if<std::string>(&attribute.value); text && *text == kMaxDepthMarker) return true;
  }
  return false;
}

TEST(DeepValues, AMaskedSpanValueIsCutNotCopiedWhole) {
  TracerOptions options;
  std::size_t masked = 0;
  options.mask = [&masked](std::string_view, const json& value) {
    ++masked;
    return value;  // a copy, as a mask's result is
  };
  auto t = test::make_recording_tracer({}, std::move(options));
  {
    Span span = t.tracer->start_span("deep");
    span.set_inputs(nested(kTooDeep));
  }
  EXPECT_EQ(masked, 1U);
  const auto span = t.named("deep");
  ASSERT_NE(span, nullptr);
  EXPECT_TRUE(has_marker(*span));
}

TEST(DeepValues, ContentLeftOutIsMeasuredOnTheCutValue) {
  TracerConfig config;
  config.trace_content = false;
  auto t = test::make_recording_tracer(config);
  {
    Span span = t.tracer->start_span("deep");
    span.set_outputs(nested(kTooDeep));
  }
  const auto span = t.named("deep");
  ASSERT_NE(span, nullptr);
  EXPECT_NE(span->find_attribute("honeyhive_outputs._size_bytes"), nullptr);
}

TEST(DeepValues, DeepSessionInputsAreCutAtInit) {
  SessionConfig session;
  session.inputs = json{{"q", nested(kTooDeep)}};
  TracerConfig config;
  config.api_key = null;
  config.otlp_endpoint = null;
  config.disable_batch = true;
  TracerOptions options;
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  options.exporter = std::move(exporter);
  auto tracer = HoneyHiveTracer::init(config, session, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  ASSERT_EQ(tracer->config().session.inputs.is_null(), false);
  EXPECT_FALSE(detail::nests_deeper_than(tracer->config().session.inputs, detail::kMaxJsonDepth));
  tracer->shutdown(std::chrono::milliseconds(1000));
  ASSERT_FALSE(memory->spans().empty());
}

TEST(DeepValues, DeepChatMessagesOfAModelCallAreCut) {
  auto t = test::make_recording_tracer();
  {
    Span span = t.tracer->start_span("llm", EventType::model);
    json request = {{"model", "m"}};
    request["messages"] = json::array({nested(kTooDeep)});
    json response = {{"choices", {{{"text", nested(kTooDeep)}}}}};
    record_model_call(span, request, response);
  }
  const auto span = t.named("llm");
  ASSERT_NE(span, nullptr);
  EXPECT_NE(span->find_attribute("gen_ai.request.model"), nullptr);
  // Both values are recorded, cut at the flattening depth with the marker.
  bool chat_history = false;
  bool text = false;
  for (const auto& attribute : span->attributes) {
    const auto* value = std::get_if<std::string>(&attribute.value);
    if (value == nullptr || *value != kMaxDepthMarker) continue;
    chat_history = chat_history || attribute.key.rfind("honeyhive_inputs.chat_history", 0) == 0;
    text = text || attribute.key.rfind("honeyhive_outputs.text", 0) == 0;
  }
  EXPECT_TRUE(chat_history);
  EXPECT_TRUE(text);
}

TEST(DeepValues, TraceRecordsADeepResultCut) {
  auto t = test::make_recording_tracer();
  const json result = t.tracer->trace("work", EventType::tool, [] { return nested(kTooDeep); });
  EXPECT_TRUE(result.is_object());
  const auto span = t.named("work");
  ASSERT_NE(span, nullptr);
  EXPECT_TRUE(has_marker(*span));
}

// A result whose to_json throws is marked and reported, as set_structured marks it, not lost.
TEST(DeepValues, TraceMarksAResultWhoseToJsonThrows) {
  test::DiagnosticsCapture diagnostics;
  auto t = test::make_recording_tracer();
  const auto out = t.tracer->trace("work", EventType::tool, [] { return deep_values_test::Unserializable{7}; });
  EXPECT_EQ(out.x, 7);
  const auto span = t.named("work");
  ASSERT_NE(span, nullptr);
  const AttributeValue* result = span->find_attribute("honeyhive_outputs.result");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(*result, AttributeValue{std::string("[to_json failed]")});
  EXPECT_TRUE(diagnostics.mentions("to_json threw"));
}

// Token counts above INT64_MAX are recorded as their decimal text (as flattening records them),
// not wrapped to negative numbers.
TEST(DeepValues, ModelCallTokenCountsAboveInt64MaxAreTheirDecimalText) {
  auto t = test::make_recording_tracer();
  constexpr std::uint64_t kHuge = std::numeric_limits<std::uint64_t>::max();
  {
    Span span = t.tracer->start_span("llm", EventType::model);
    record_model_call(span, json{{"model", "m"}, {"max_tokens", kHuge}},
                      json{{"usage", {{"prompt_tokens", kHuge}, {"completion_tokens", 12}}}});
  }
  const auto span = t.named("llm");
  ASSERT_NE(span, nullptr);
  const std::string text = std::to_string(kHuge);
  ASSERT_NE(span->find_attribute("gen_ai.request.max_tokens"), nullptr);
  EXPECT_EQ(*span->find_attribute("gen_ai.request.max_tokens"), AttributeValue{text});
  ASSERT_NE(span->find_attribute("gen_ai.usage.input_tokens"), nullptr);
  EXPECT_EQ(*span->find_attribute("gen_ai.usage.input_tokens"), AttributeValue{text});
  ASSERT_NE(span->find_attribute("gen_ai.usage.output_tokens"), nullptr);
  EXPECT_EQ(*span->find_attribute("gen_ai.usage.output_tokens"), AttributeValue{std::int64_t{12}});
}

}  // namespace
}  // namespace honeyhive
