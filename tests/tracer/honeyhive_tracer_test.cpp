#include "honeyhive/tracer/honeyhive_tracer.hpp"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <stdexcept>
#include <thread>

#include "common/mini_http_server.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/honeyhive_event.hpp"
#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/propagation/propagator.hpp"
#include "honeyhive/tracer/model_call.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/http_test_helpers.hpp"
#include "support/recording_tracer.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

using test::find_string_attribute;
using TestTracer = test::RecordingTracer;

TestTracer make_tracer(const std::string& project, TracerOptions options = {}) {
  TracerConfig config;
  config.project = project;
  return test::make_recording_tracer(config, std::move(options));
}

TEST(HoneyHiveTracerTest, InitStartsASessionWithAUuidAndEmitsASessionEvent) {
  auto t = make_tracer("p1");
  ASSERT_NE(t.tracer, nullptr);
  const std::string session = t.tracer->session_id();
  EXPECT_EQ(session.size(), 36U);
  EXPECT_EQ(session[14], '4');  // UUID v4
  auto spans = t.spans();
  ASSERT_EQ(spans.size(), 1U);
  EXPECT_EQ(*find_string_attribute(*spans[0], "honeyhive_event_type"), "session");
  EXPECT_EQ(*find_string_attribute(*spans[0], "honeyhive.session_id"), session);
}

TEST(HoneyHiveTracerTest, TypedSpansCarryEventTypeNameAndSessionAttributes) {
  auto t = make_tracer("support-bot");
  { Span span = t.tracer->start_span("retrieve", EventType::tool); }
  const auto span = t.named("retrieve");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_event_type"), "tool");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_event_name"), "retrieve");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive.session_id"), t.tracer->session_id());
  EXPECT_EQ(*find_string_attribute(*span, "traceloop.association.properties.session_id"), t.tracer->session_id());
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive.project"), "support-bot");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive.source"), "dev");
}

TEST(HoneyHiveTracerTest, StartSpanActivatesTheSpanForChildrenAndEnrichSpan) {
  auto t = make_tracer("p");
  {
    Span chain = t.tracer->start_span("chain", EventType::chain);
    Enrichment extra;
    extra.metadata = nlohmann::json{{"retriever", "bm25"}};
    extra.metrics = nlohmann::json{{"hits", 3}};
    enrich_span(extra);
    Span tool = t.tracer->start_span("tool", EventType::tool);
  }
  const auto chain = t.named("chain");
  const auto tool = t.named("tool");
  ASSERT_NE(chain, nullptr);
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(tool->parent_span_id, chain->context.span_id());
  EXPECT_EQ(*find_string_attribute(*chain, "honeyhive_metadata.retriever"), "bm25");
  EXPECT_EQ(std::get<std::int64_t>(*chain->find_attribute("honeyhive_metrics.hits")), 3);
  EXPECT_FALSE(Context::current().span_context().is_valid());  // both scopes ended with their spans
}

// Without an explicit parent, a span's parent is the context attached at the call (here a remote
// parent with baggage), and the context it activates keeps that baggage and adds the tracer's.
TEST(HoneyHiveTracerTest, ASpanWithoutAParentContinuesTheAttachedContext) {
  auto t = make_tracer("p");
  const SpanContext remote(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                           *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{1}, true);
  {
    Scope inbound(Context().with_span_context(remote).with_baggage("tenant", "acme"));
    Span span = t.tracer->start_span("handle", EventType::chain);
    const Context active = Context::current();
    EXPECT_EQ(active.span_context().span_id(), span.context().span_id());
    EXPECT_EQ(active.baggage("tenant"), std::optional<std::string>("acme"));
    EXPECT_TRUE(active.baggage("honeyhive_tracer_id").has_value());
  }
  const auto span = t.named("handle");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->context.trace_id(), remote.trace_id());
  EXPECT_EQ(span->parent_span_id, remote.span_id());
  EXPECT_EQ(*find_string_attribute(*span, "baggage.tenant"), "acme");
  EXPECT_FALSE(Context::current().span_context().is_valid());
}

// Inbound baggage is copied onto spans as baggage.* before the tracer writes the event type and
// name: under a lowered attribute count limit, the copies are what is dropped (counted), not the
// attributes that make the span a HoneyHive event.
TEST(HoneyHiveTracerTest, ManyBaggageMembersUnderALowLimitLeaveRoomForTheEventType) {
  test::ScopedEnv env{{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "12"}};
  auto t = make_tracer("p");
  constexpr std::size_t kMembers = 20;
  {
    Context inbound;
    for (std::size_t i = 0; i < kMembers; ++i) inbound = inbound.with_baggage("member" + std::to_string(i), "v");
    Scope scope(inbound);
    Span span = t.tracer->start_span("lookup", EventType::tool);
  }
  const auto span = t.named("lookup");
  ASSERT_NE(span, nullptr);
  ASSERT_NE(find_string_attribute(*span, "honeyhive_event_type"), nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_event_type"), "tool");
  ASSERT_NE(find_string_attribute(*span, "honeyhive_event_name"), nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive.session_id"), t.tracer->session_id());
  std::size_t copies = 0;
  for (const Attribute& attribute : span->attributes) {
    if (attribute.key.rfind("baggage.", 0) == 0) ++copies;
  }
  EXPECT_GT(copies, 0U);
  EXPECT_LE(span->attributes.size(), 12U);
  // Every member not copied is counted.
  EXPECT_EQ(span->dropped_attributes_count, kMembers - copies);
}

// Options given to start_span are honoured: the parent given rather than the attached context,
// the kind, the start time and the attributes; the span is still typed, named and active, and its
// context carries the tracer's baggage. Every event type is recorded by its name.
TEST(HoneyHiveTracerTest, StartSpanWithOptionsTakesTheirParentKindStartAndAttributes) {
  auto t = make_tracer("p");
  const SpanContext remote(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                           *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{1}, true);
  StartSpanOptions options;
  options.parent = Context().with_span_context(remote);
  options.kind = SpanKind::client;
  options.start_unix_nanos = 1'700'000'000'000'000'000;
  options.attributes.push_back(Attribute{"request.id", AttributeValue{std::string("r-7")}});
  {
    Span attached = t.tracer->start_span("attached", EventType::chain);  // not the parent of the next
    Span span = t.tracer->start_span("call", EventType::model, options);
    const Context active = Context::current();
    EXPECT_EQ(active.span_context().span_id(), span.context().span_id());
    EXPECT_TRUE(active.baggage("honeyhive_tracer_id").has_value());
  }
  const auto span = t.named("call");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->context.trace_id(), remote.trace_id());
  EXPECT_EQ(span->parent_span_id, remote.span_id());
  EXPECT_EQ(span->kind, SpanKind::client);
  EXPECT_EQ(span->start_unix_nanos, 1'700'000'000'000'000'000U);
  EXPECT_EQ(*find_string_attribute(*span, "request.id"), "r-7");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_event_type"), "model");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_event_name"), "call");

  const std::pair<EventType, std::string> types[] = {{EventType::session, "session"},
                                                     {EventType::chain, "chain"},
                                                     {EventType::model, "model"},
                                                     {EventType::tool, "tool"}};
  for (const auto& [type, type_name] : types) {
    { Span typed = t.tracer->start_span("each-" + type_name, type); }
    const auto typed = t.named("each-" + type_name);
    ASSERT_NE(typed, nullptr);
    EXPECT_EQ(*find_string_attribute(*typed, "honeyhive_event_type"), type_name);
    EXPECT_EQ(to_string(type), type_name);
  }
}

TEST(HoneyHiveTracerTest, TraceRecordsTheResultAsOutputs) {
  auto t = make_tracer("p");
  const int value = t.tracer->trace("compute", EventType::tool, [] { return 42; });
  EXPECT_EQ(value, 42);
  const auto span = t.named("compute");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(std::get<std::int64_t>(*span->find_attribute("honeyhive_outputs.result")), 42);
}

TEST(HoneyHiveTracerTest, TracePassesTheSpanWhenTheCallableTakesIt) {
  auto t = make_tracer("p");
  t.tracer->trace("with-span", EventType::chain, [](Span& span) { span.set_inputs(nlohmann::json{{"q", "x"}}); });
  const auto span = t.named("with-span");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_inputs.q"), "x");
}

TEST(HoneyHiveTracerTest, TraceRecordsAnExceptionAndRethrowsItUnchanged) {
  auto t = make_tracer("p");
  EXPECT_THROW(t.tracer->trace("fails", EventType::tool, []() -> int { throw std::runtime_error("boom"); }),
               std::runtime_error);
  const auto span = t.named("fails");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_error"), "boom");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_error_type"), "std::runtime_error");
  EXPECT_EQ(span->status.code, StatusCode::error);
}

TEST(HoneyHiveTracerTest, CurrentTracerIsFoundFromTheContextOnAWorkerThread) {
  auto a = make_tracer("project-a");
  auto b = make_tracer("project-b");
  Span outer = b.tracer->start_span("outer", EventType::chain);
  auto task = bind_current_context([] {
    HH_SPAN(inner, "inner", tool);
    return current_tracer();
  });
  std::shared_ptr<HoneyHiveTracer> found = std::async(std::launch::async, task).get();
  outer.end();
  EXPECT_EQ(found, b.tracer);
  const auto inner = b.named("inner");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->parent_span_id, outer.context().span_id());
  EXPECT_EQ(a.named("inner"), nullptr);
}

TEST(HoneyHiveTracerTest, TwoTracersKeepTheirSpansAndResourcesApart) {
  auto a = make_tracer("project-a");
  auto b = make_tracer("project-b");
  {
    Span a_span = a.tracer->start_span("a-span", EventType::chain);
    Span b_span = b.tracer->start_span("b-span", EventType::tool);  // nested across tracers
  }
  const auto a_span = a.named("a-span");
  const auto b_span = b.named("b-span");
  ASSERT_NE(a_span, nullptr);
  ASSERT_NE(b_span, nullptr);
  EXPECT_EQ(a.named("b-span"), nullptr);
  EXPECT_EQ(b.named("a-span"), nullptr);
  EXPECT_EQ(*find_string_attribute(*b_span, "honeyhive.project"), "project-b");
  EXPECT_EQ(*find_string_attribute(*b_span, "honeyhive.session_id"), b.tracer->session_id());
  EXPECT_EQ(std::get<std::string>(*b_span->resource->find("honeyhive.project")), "project-b");
  EXPECT_EQ(std::get<std::string>(*a_span->resource->find("honeyhive.project")), "project-a");
}

TEST(HoneyHiveTracerTest, MaskingCallbackRewritesInputsBeforeFlattening) {
  TracerOptions options;
  options.mask = [](std::string_view, const nlohmann::json& value) {
    nlohmann::json copy = value;
    if (copy.contains("password")) copy["password"] = "***";
    return copy;
  };
  auto t = make_tracer("p", std::move(options));
  {
    Span span = t.tracer->start_span("login");
    span.set_inputs(nlohmann::json{{"user", "alice"}, {"password", "hunter2"}});
  }
  const auto span = t.named("login");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_inputs.password"), "***");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_inputs.user"), "alice");
}

TEST(HoneyHiveTracerTest, TraceContentOffRecordsOnlySizes) {
  TracerConfig config;
  config.api_key = null;
  config.otlp_endpoint = null;
  config.disable_batch = true;
  config.trace_content = false;
  auto exporter = std::make_unique<InMemoryExporter>();
  auto* memory = exporter.get();
  TracerOptions options;
  options.exporter = std::move(exporter);
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  {
    Span span = tracer->start_span("secret");
    span.set_inputs(nlohmann::json{{"prompt", "my secret prompt"}});
    span.set_outputs(nlohmann::json{{"answer", "secret answer"}});
  }
  tracer->flush();
  SpanDataPtr span;
  for (const auto& s : memory->spans()) {
    if (s->name == "secret") span = s;
  }
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->find_attribute("honeyhive_inputs.prompt"), nullptr);
  EXPECT_EQ(span->find_attribute("honeyhive_outputs.answer"), nullptr);
  EXPECT_GT(std::get<std::int64_t>(*span->find_attribute("honeyhive_inputs._size_bytes")), 10);
}

TEST(HoneyHiveTracerTest, ConfigReportRedactsTheApiKey) {
  TracerConfig config;
  config.api_key = "hh-very-secret-abcd";
  config.api_url = "http://127.0.0.1:9";  // a closed local port: nothing leaves the machine
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->config_report().find("very-secret"), std::string::npos);
  EXPECT_NE(tracer->config_report().find("****abcd"), std::string::npos);
  EXPECT_EQ(tracer->config_report_json()["exporter"],
            "honeyhive-otlp http://127.0.0.1:9/opentelemetry/v1/traces (http/json)");
  tracer->shutdown(std::chrono::milliseconds(200));
}

TEST(HoneyHiveTracerTest, ApiKeySendsOtlpJsonToTheHoneyHiveEndpointWithItsHeaders) {
  std::mutex mutex;
  std::vector<tools::HttpRequest> requests;
  tools::MiniHttpServer server(0, [&](const tools::HttpRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    requests.push_back(request);
    tools::HttpResponse response;
    response.content_type = "application/json";
    response.body = "{}";
    return response;
  });
  ASSERT_TRUE(server.ok());
  TracerConfig config;
  config.api_key = "hh-key-1234";
  config.api_url = "http://127.0.0.1:" + std::to_string(server.port());
  config.source = "ci";
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  tracer->shutdown(std::chrono::milliseconds(2000));
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_FALSE(requests.empty());
  const tools::HttpRequest& request = requests.front();
  EXPECT_EQ(request.target, "/opentelemetry/v1/traces");
  EXPECT_EQ(request.header("authorization"), "Bearer hh-key-1234");
  EXPECT_EQ(request.header("x-source"), "ci");
  EXPECT_EQ(request.header("hh-client-language"), "cpp");
  EXPECT_EQ(request.header("hh-client-package"), "honeyhive-cpp");
  EXPECT_EQ(request.header("content-type"), "application/json");
  const auto body = nlohmann::json::parse(request.body);
  EXPECT_TRUE(body.contains("resourceSpans"));
}

// OTEL_EXPORTER_OTLP_HEADERS (a gateway's header, say) goes with the spans to HoneyHive too; a
// header of its that names one of HoneyHive's (Authorization, X-Source) gives way to the tracer's.
TEST(HoneyHiveTracerTest, OtlpHeadersFromTheEnvironmentGoToHoneyHiveBesideItsOwn) {
  test::RecordingServer server(test::empty_json_answer);
  ASSERT_TRUE(server.ok());
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_HEADERS", "x-gateway-tenant=acme,authorization=Bearer other,X-SOURCE=env"}};
  TracerConfig config;
  config.api_key = "hh-key-1234";
  config.api_url = "http://127.0.0.1:" + std::to_string(server.port());
  config.source = "ci";
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  tracer->shutdown(std::chrono::milliseconds(2000));
  const auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  const tools::HttpRequest& request = requests.front();
  EXPECT_EQ(request.header("x-gateway-tenant"), "acme");
  EXPECT_EQ(request.header("authorization"), "Bearer hh-key-1234");
  EXPECT_EQ(request.header("x-source"), "ci");  // (header() joins repeated lines: one each)
}

// A source with a line break would inject a header: the spans still go, without X-Source, and
// the tracer says why. (The source is on every span as an attribute too.)
TEST(HoneyHiveTracerTest, ASourceThatCannotBeAHeaderIsLeftOutOfTheHeadersNotTheExport) {
  test::RecordingServer server(test::empty_json_answer);
  ASSERT_TRUE(server.ok());
  auto lines = std::make_shared<test::CapturedLines>();
  TracerOptions options;
  options.diagnostics = DiagnosticSink::make(test::CapturedLines::handler(lines), DiagnosticLevel::warning);
  TracerConfig config;
  config.api_key = "hh-key-1234";
  config.api_url = "http://127.0.0.1:" + std::to_string(server.port());
  config.source = "ci\r\nx-injected: 1";
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  tracer->shutdown(std::chrono::milliseconds(2000));
  EXPECT_EQ(lines->count_containing("not sent as the X-Source header"), 1U);
  const auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.front().header("authorization"), "Bearer hh-key-1234");
  EXPECT_FALSE(requests.front().header("x-source").has_value());
  EXPECT_FALSE(requests.front().header("x-injected").has_value());
}

// An OTLP protocol the SDK does not speak (grpc) is said once, with the protocol that is used: the
// tracer's (http/json), not the OTLP exporter's own default (http/protobuf), which it does not use.
TEST(HoneyHiveTracerTest, AnUnsupportedOtlpProtocolIsReportedOnceWithTheProtocolUsed) {
  test::RecordingServer server(test::empty_json_answer);
  ASSERT_TRUE(server.ok());
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}};
  auto lines = std::make_shared<test::CapturedLines>();
  TracerOptions options;
  options.diagnostics = DiagnosticSink::make(test::CapturedLines::handler(lines), DiagnosticLevel::warning);
  TracerConfig config;
  config.otlp_endpoint = server.url();
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  tracer->shutdown(std::chrono::milliseconds(2000));
  EXPECT_EQ(lines->count_containing("'grpc'"), 1U);
  EXPECT_EQ(lines->count_containing("using http/json"), 1U);
  EXPECT_EQ(lines->count_containing("using http/protobuf"), 0U);
  const auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.front().header("content-type"), "application/json");
}

// A key with a line break inside cannot be sent: said once, at init, without the key.
TEST(HoneyHiveTracerTest, AnApiKeyWithALineBreakIsReportedAtInit) {
  auto lines = std::make_shared<test::CapturedLines>();
  TracerOptions options;
  options.diagnostics = DiagnosticSink::make(test::CapturedLines::handler(lines), DiagnosticLevel::warning);
  TracerConfig config;
  config.api_key = "hh-key-1234\nx-injected: 1";
  config.api_url = "http://127.0.0.1:9";
  config.start_session = false;
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(lines->count_containing("the API key (HH_API_KEY or api_key) holds a line break"), 1U);
  EXPECT_EQ(lines->count_containing("hh-key-1234"), 0U);
  tracer->shutdown(std::chrono::milliseconds(200));
}

// A tracer without a session starting spans under another tracer's context: none of its spans
// carries that tracer's session. Its first span's context named it but kept the other's session
// id, so its next spans read that session from their parent's baggage.
TEST(HoneyHiveTracerTest, ASessionlessTracerUnderAnotherTracersContextNeverTakesItsSession) {
  auto b = test::make_recording_tracer();
  TracerConfig config;
  config.start_session = false;
  auto a = test::make_recording_tracer(config);
  ASSERT_TRUE(a.tracer->session_id().empty());
  ASSERT_FALSE(b.tracer->session_id().empty());
  {
    Span outer = b.tracer->start_span("b-outer", EventType::chain);
    Span a1 = a.tracer->start_span("a-1", EventType::chain);
    Span a2 = a.tracer->start_span("a-2", EventType::tool);
  }
  for (const char* name : {"a-1", "a-2"}) {
    const auto span = a.named(name);
    ASSERT_NE(span, nullptr) << name;
    EXPECT_EQ(span->find_attribute("honeyhive.session_id"), nullptr) << name;
  }
  EXPECT_EQ(test::string_attribute(*b.named("b-outer"), "honeyhive.session_id"), b.tracer->session_id());
}

TEST(HoneyHiveTracerTest, DisabledSdkGivesNoOpSpans) {
  TracerConfig config;
  config.disabled = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  Span span = tracer->start_span("nothing");
  EXPECT_FALSE(span.is_recording());
}

// When the default tracer is destroyed, the oldest live one takes its place, whichever order the
// tracers were created in: HH_SPAN outside any context goes on recording while a tracer lives.
TEST(HoneyHiveTracerTest, TheOldestLiveTracerBecomesTheDefaultWhenTheDefaultIsDestroyed) {
  auto first = make_tracer("first");
  set_default_tracer(first.tracer);
  auto second = make_tracer("second");
  auto third = make_tracer("third");
  EXPECT_EQ(current_tracer(), first.tracer);
  first.tracer.reset();
  EXPECT_EQ(current_tracer(), second.tracer);
  { HH_SPAN(span, "via-the-default", tool); }
  EXPECT_NE(second.named("via-the-default"), nullptr);
  second.tracer.reset();
  EXPECT_EQ(current_tracer(), third.tracer);
}

TEST(HoneyHiveTracerTest, CurrentTracerWithoutAnyContextIsNeverNull) {
  const auto tracer = current_tracer();
  ASSERT_NE(tracer, nullptr);
  Span span = tracer->start_span("anywhere");  // the default tracer, or a disabled one: never a crash
  span.set_inputs(nlohmann::json{{"k", 1}});
}

}  // namespace
}  // namespace honeyhive

namespace honeyhive {
namespace {

TEST(ModelCallTest, RecordsHoneyHiveFieldsAndGenAiConventions) {
  auto t = make_tracer("p");
  {
    Span span = t.tracer->start_span("chat", EventType::model);
    record_model_call(
        span,
        nlohmann::json{{"model", "gpt-4o-mini"},
                       {"temperature", 0.2},
                       {"max_tokens", 256},
                       {"messages", {{{"role", "user"}, {"content", "hi"}}}}},
        nlohmann::json{
            {"model", "gpt-4o-mini-2024"},
            {"choices", {{{"message", {{"role", "assistant"}, {"content", "hello"}}}, {"finish_reason", "stop"}}}},
            {"usage", {{"prompt_tokens", 9}, {"completion_tokens", 2}}}});
  }
  const auto span = t.named("chat");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "gen_ai.operation.name"), "chat");
  EXPECT_EQ(*find_string_attribute(*span, "gen_ai.system"), "openai");
  EXPECT_EQ(*find_string_attribute(*span, "gen_ai.request.model"), "gpt-4o-mini");
  EXPECT_DOUBLE_EQ(std::get<double>(*span->find_attribute("gen_ai.request.temperature")), 0.2);
  EXPECT_EQ(std::get<std::int64_t>(*span->find_attribute("gen_ai.request.max_tokens")), 256);
  EXPECT_EQ(*find_string_attribute(*span, "gen_ai.response.model"), "gpt-4o-mini-2024");
  EXPECT_EQ(std::get<std::vector<std::string>>(*span->find_attribute("gen_ai.response.finish_reasons")),
            std::vector<std::string>{"stop"});
  EXPECT_EQ(std::get<std::int64_t>(*span->find_attribute("gen_ai.usage.input_tokens")), 9);
  EXPECT_EQ(std::get<std::int64_t>(*span->find_attribute("gen_ai.usage.output_tokens")), 2);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_outputs.content"), "hello");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_config.model"), "gpt-4o-mini");
  EXPECT_EQ(std::get<std::int64_t>(*span->find_attribute("honeyhive_metrics.prompt_tokens")), 9);
  EXPECT_NE(span->find_attribute("honeyhive_inputs.chat_history"), nullptr);
}

TEST(ModelCallTest, MalformedResponsesAreSkippedNotThrown) {
  auto t = make_tracer("p");
  {
    Span span = t.tracer->start_span("chat", EventType::model);
    record_model_call(span, nlohmann::json("not an object"), nlohmann::json{{"choices", 3}, {"usage", "x"}});
  }
  const auto span = t.named("chat");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->find_attribute("gen_ai.usage.input_tokens"), nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "gen_ai.operation.name"), "text_completion");
}

}  // namespace
}  // namespace honeyhive

namespace honeyhive {
namespace {

TEST(EnrichSessionTest, AddsASessionEnrichmentSpanLinkedToTheSession) {
  auto t = make_tracer("p");
  const auto session_event = t.spans().front();
  Span work = t.tracer->start_span("work", EventType::chain);
  Enrichment extra;
  extra.feedback = nlohmann::json{{"rating", 5}};
  extra.metadata = nlohmann::json{{"channel", "web"}};
  enrich_session(extra);  // through current_tracer(): the active span belongs to t.tracer
  work.end();
  const auto span = t.named("session_enrichment");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(std::get<std::int64_t>(*span->find_attribute("honeyhive_feedback.rating")), 5);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_metadata.channel"), "web");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive.session_id"), t.tracer->session_id());
  ASSERT_EQ(span->links.size(), 1U);
  EXPECT_EQ(span->links[0].context.span_id(), session_event->context.span_id());
}

TEST(SessionTest, StartSessionGivesANewIdThatLaterSpansCarry) {
  auto t = make_tracer("p");
  const std::string first = t.tracer->session_id();
  SessionConfig next;
  next.session_name = "second";
  next.inputs = nlohmann::json{{"topic", "refunds"}};
  const std::string second = t.tracer->start_session(next);
  EXPECT_NE(first, second);
  { Span span = t.tracer->start_span("after"); }
  EXPECT_EQ(*find_string_attribute(*t.named("after"), "honeyhive.session_id"), second);
  const auto session_event = t.named("second");
  ASSERT_NE(session_event, nullptr);
  EXPECT_EQ(*find_string_attribute(*session_event, "honeyhive_inputs.topic"), "refunds");
}

// An explicit null in start_session means "none", not "the first session's": the new session
// event carries no inputs, and the default name.
TEST(SessionTest, StartSessionWithExplicitNullsRecordsNoneOfTheFirstSessionsValues) {
  TracerConfig config;
  config.project = "p";
  config.api_key = null;
  config.otlp_endpoint = null;
  config.disable_batch = true;
  config.session_name = "first";
  SessionConfig first;
  first.inputs = nlohmann::json{{"q", "first-question"}};
  first.metadata = nlohmann::json{{"m", 1}};
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  TracerOptions options;
  options.exporter = std::move(exporter);
  auto tracer = HoneyHiveTracer::init(config, first, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  SessionConfig second;
  second.session_name = null;
  second.inputs = null;  // metadata stays unset: the first session's
  tracer->start_session(second);
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 2U);
  const SpanData& event = *spans[1];
  EXPECT_EQ(event.name, "session");
  EXPECT_EQ(event.find_attribute("honeyhive_inputs.q"), nullptr);
  ASSERT_NE(event.find_attribute("honeyhive_metadata.m"), nullptr);
  EXPECT_EQ(spans[0]->name, "first");
  tracer->shutdown(std::chrono::milliseconds(1000));
}

// A session id that is not a UUID is replaced, and start_session says so.
TEST(SessionTest, StartSessionReportsASessionIdThatIsNotAUuid) {
  auto lines = std::make_shared<test::CapturedLines>();
  TracerOptions options;
  options.diagnostics = DiagnosticSink::make(test::CapturedLines::handler(lines), DiagnosticLevel::warning);
  auto t = test::make_recording_tracer({}, std::move(options));
  SessionConfig next;
  next.session_id = "not-a-uuid";
  const std::string id = t.tracer->start_session(next);
  EXPECT_EQ(id.size(), 36U);
  EXPECT_EQ(lines->count_containing("start_session: session_id 'not-a-uuid' is not a UUID; ignored"), 1U);
}

// Starting values that fill the span's attribute limit do not push the session's name out: it is
// what marks the span as the session's start (events mode then opens the session with it).
TEST(SessionTest, StartingValuesThatFillTheSpanLeaveTheSessionItsName) {
  TracerConfig config;
  config.project = "p";
  config.start_session = false;
  auto t = test::make_recording_tracer(config);
  nlohmann::json inputs = nlohmann::json::object();
  for (int i = 0; i < 130; ++i) inputs["field_" + std::to_string(i)] = i;
  SessionConfig session;
  session.session_name = std::string("my-session");
  session.inputs = inputs;
  t.tracer->start_session(session);
  const auto span = t.named("my-session");
  ASSERT_NE(span, nullptr);
  EXPECT_GT(span->dropped_attributes_count, 0U);  // the limit was reached
  EXPECT_EQ(test::string_attribute(*span, "honeyhive.session_name"), "my-session");
  EXPECT_EQ(honeyhive_span_role(*span), HoneyHiveSpanRole::session_start);
}

// The OTLP path goes into the API URL's path, before the query a gateway needs.
TEST(ApiUrlTest, TheOtlpPathGoesBeforeTheQueryOfTheApiUrl) {
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_ENDPOINT", nullptr},
                      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", nullptr},
                      {"HH_EXPORT_MODE", nullptr},
                      {"HH_API_URL", nullptr}};
  test::RecordingServer server(test::empty_json_answer);
  ASSERT_TRUE(server.ok());
  TracerConfig config;
  config.api_key = "hh-test-key-not-real-0000";
  config.api_url = server.url("/hh?tenant=acme");
  config.disable_batch = true;
  TracerOptions options;
  options.diagnostics = DiagnosticSink::off();
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->exporter_description(),
            "honeyhive-otlp " + server.url("/hh/opentelemetry/v1/traces") + " (http/json)");
  tracer->shutdown(std::chrono::milliseconds(2000));
  const auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.front().target, "/hh/opentelemetry/v1/traces?tenant=acme");
}

// An API URL that is not one sends nothing to HoneyHive, the key to nowhere: the spans go where
// they would without a key (here the OTLP endpoint), without the Authorization header.
TEST(ApiUrlTest, AMalformedApiUrlSendsTheKeyNowhere) {
  // Should the tracer ever fall back to the public API again, its https request goes to a closed
  // port on this machine (curl's proxy variables), never off it.
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_ENDPOINT", nullptr},
                      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", nullptr},
                      {"HH_EXPORT_MODE", nullptr},
                      {"HH_API_URL", nullptr},
                      {"https_proxy", "http://127.0.0.1:9"},
                      {"HTTPS_PROXY", "http://127.0.0.1:9"},
                      {"NO_PROXY", nullptr},
                      {"no_proxy", nullptr}};
  test::RecordingServer server(test::empty_json_answer);
  ASSERT_TRUE(server.ok());
  auto lines = std::make_shared<test::CapturedLines>();
  TracerOptions options;
  options.diagnostics = DiagnosticSink::make(test::CapturedLines::handler(lines), DiagnosticLevel::warning);
  TracerConfig config;
  config.api_key = "hh-test-key-not-real-0000";
  config.api_url = "hh.internal.example:8443";  // no scheme
  config.otlp_endpoint = server.url();
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->exporter_description().rfind("otlp " + server.url(), 0), 0U) << tracer->exporter_description();
  EXPECT_EQ(lines->count_containing("is not an http(s) URL; nothing is sent to HoneyHive"), 1U);
  { Span span = tracer->start_span("s"); }
  tracer->shutdown(std::chrono::milliseconds(2000));
  const auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  for (const auto& request : requests) EXPECT_FALSE(request.header("authorization").has_value());
}

// service_name = null means no service name: OTEL_SERVICE_NAME does not come back through the
// resource, which would contradict config_report().
TEST(SessionTest, AnExplicitNullServiceNameIgnoresOtelServiceName) {
  test::ScopedEnv env{{"OTEL_SERVICE_NAME", "from-env"}};
  TracerConfig config;
  config.service_name = null;
  auto t = test::make_recording_tracer(config);
  { Span span = t.tracer->start_span("s"); }
  const auto span = t.named("s");
  ASSERT_NE(span, nullptr);
  ASSERT_NE(span->resource, nullptr);
  EXPECT_EQ(span->resource->service_name(), "unknown_service");
}

TEST(SessionTest, InitCanBeToldNotToStartASession) {
  TracerConfig config;
  config.api_key = null;
  config.otlp_endpoint = null;
  config.disable_batch = true;
  config.start_session = false;
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  TracerOptions options;
  options.exporter = std::move(exporter);
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->session_id(), "");
  EXPECT_EQ(tracer->config().origin_of("start_session")->origin, "TracerConfig");
  {
    Span work = tracer->start_span("work", EventType::chain);
    test::DiagnosticsCapture diagnostics;
    Enrichment extra;
    extra.metadata = nlohmann::json{{"k", "v"}};
    tracer->enrich_session(extra);  // nothing to enrich: says so, emits nothing
    EXPECT_TRUE(diagnostics.mentions("has no session"));
  }
  tracer->flush();
  auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 1U);  // "work" only: no session event, no enrichment span
  EXPECT_EQ(spans[0]->name, "work");
  EXPECT_EQ(spans[0]->find_attribute("honeyhive.session_id"), nullptr);

  const std::string session = tracer->start_session();  // a session can still be started later
  EXPECT_EQ(session.size(), 36U);
  { Span later = tracer->start_span("later"); }
  tracer->flush();
  spans = memory->spans();
  ASSERT_EQ(spans.size(), 3U);
  EXPECT_EQ(*find_string_attribute(*spans[2], "honeyhive.session_id"), session);
}

TEST(SessionTest, ASessionIdFromTheConfigIsUsed) {
  TracerConfig config;
  config.api_key = null;
  config.otlp_endpoint = null;
  config.session_id = "6f1b7c2e-8d1a-4c55-9d8e-2f0c1a3b4c5d";
  TracerOptions options;
  options.exporter = std::make_unique<InMemoryExporter>();
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  EXPECT_EQ(tracer->session_id(), "6f1b7c2e-8d1a-4c55-9d8e-2f0c1a3b4c5d");
}

TEST(EnrichmentProcessorTest, EvaluationAndCustomBaggageBecomeAttributes) {
  auto t = make_tracer("p");
  {
    auto baggage =
        scoped_baggage({{"run_id", "run-7"}, {"dataset_id", "ds-1"}, {"datapoint_id", "dp-3"}, {"tenant", "acme"}});
    Span span = t.tracer->start_span("under-eval");
  }
  const auto span = t.named("under-eval");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_metadata.run_id"), "run-7");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_metadata.dataset_id"), "ds-1");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive_metadata.datapoint_id"), "dp-3");
  EXPECT_EQ(*find_string_attribute(*span, "baggage.tenant"), "acme");
}

TEST(EnrichmentProcessorTest, AnInboundSessionContinuesHere) {
  auto t = make_tracer("p");
  {
    auto baggage = scoped_baggage({{"session_id", "11111111-2222-4333-8444-555555555555"}, {"parent_id", "evt-9"}});
    Span span = t.tracer->start_span("continued");
  }
  const auto span = t.named("continued");
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive.session_id"), "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(*find_string_attribute(*span, "honeyhive.parent_id"), "evt-9");
}

// The session and source a request arrives with (a Python service's) hold for the whole subtree
// and go on to the next service; the remote parent event is the first span's parent only.
TEST(EnrichmentProcessorTest, AnInboundSessionHoldsForTheSubtreeAndGoesDownstream) {
  constexpr const char* kInbound = "11111111-2222-4333-8444-555555555555";
  auto t = make_tracer("p");
  ASSERT_NE(t.tracer->session_id(), kInbound);
  std::map<std::string, std::string> inbound{
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"baggage", std::string("session_id=") + kInbound + ",source=python-svc,parent_id=evt-9,tenant=acme"}};
  const Context extracted = make_default_propagator()->extract(make_map_carrier(inbound), Context());
  std::map<std::string, std::string> outbound;
  {
    Scope scope(extracted);
    Span root = t.tracer->start_span("handler", EventType::chain);
    Span child = t.tracer->start_span("llm", EventType::model);
    Span grandchild = t.tracer->start_span("tool", EventType::tool);
    auto carrier = make_map_carrier(outbound);
    inject_current(carrier);
  }
  for (const char* name : {"handler", "llm", "tool"}) {
    const auto span = t.named(name);
    ASSERT_NE(span, nullptr) << name;
    EXPECT_EQ(*find_string_attribute(*span, "honeyhive.session_id"), kInbound) << name;
    EXPECT_EQ(*find_string_attribute(*span, "honeyhive.source"), "python-svc") << name;
    EXPECT_EQ(*find_string_attribute(*span, "baggage.tenant"), "acme") << name;
  }
  EXPECT_EQ(*find_string_attribute(*t.named("handler"), "honeyhive.parent_id"), "evt-9");
  EXPECT_EQ(find_string_attribute(*t.named("llm"), "honeyhive.parent_id"), nullptr);
  const std::string& header = outbound["baggage"];
  EXPECT_NE(header.find(std::string("session_id=") + kInbound), std::string::npos) << header;
  EXPECT_NE(header.find("source=python-svc"), std::string::npos) << header;
  EXPECT_NE(header.find("honeyhive_tracer_id=" + t.tracer->id()), std::string::npos) << header;
  EXPECT_EQ(header.find("parent_id="), std::string::npos) << header;
}

// An inbound header at the member limit: the next service still gets the session and tracer id
// (the application's members past the limit are the ones dropped).
TEST(EnrichmentProcessorTest, OutboundBaggageKeepsTheSessionWhenTheInboundHeaderIsFull) {
  auto t = make_tracer("p");
  std::string header;
  for (int i = 0; i < 64; ++i) header += (i > 0 ? "," : "") + std::string("app") + std::to_string(i) + "=v";
  std::map<std::string, std::string> inbound{{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                                             {"baggage", header}};
  const Context extracted = make_default_propagator()->extract(make_map_carrier(inbound), Context());
  ASSERT_EQ(extracted.all_baggage().size(), 64U);
  std::map<std::string, std::string> outbound;
  {
    Scope scope(extracted);
    Span root = t.tracer->start_span("handler", EventType::chain);
    auto carrier = make_map_carrier(outbound);
    inject_current(carrier);
  }
  EXPECT_NE(outbound["baggage"].find("session_id=" + t.tracer->session_id()), std::string::npos);
  EXPECT_NE(outbound["baggage"].find("honeyhive_tracer_id=" + t.tracer->id()), std::string::npos);
  EXPECT_NE(outbound["baggage"].find("app0=v"), std::string::npos);
}

// Tracer B without a project, under tracer A's span: B's spans carry no project (A's would route
// them to A's project while B's session holds them).
TEST(EnrichmentProcessorTest, ATracerWithoutAProjectDoesNotTakeAnotherTracersProject) {
  auto a = make_tracer("project-a");
  TracerConfig config_b;
  config_b.project = null;
  auto b = test::make_recording_tracer(config_b);
  {
    Span outer = a.tracer->start_span("a-outer", EventType::chain);
    Span inner = b.tracer->start_span("b-inner", EventType::chain);
    Span leaf = b.tracer->start_span("b-leaf", EventType::tool);
  }
  for (const char* name : {"b-inner", "b-leaf"}) {
    const auto span = b.named(name);
    ASSERT_NE(span, nullptr) << name;
    EXPECT_EQ(find_string_attribute(*span, "honeyhive.project"), nullptr) << name;
  }
}

}  // namespace
}  // namespace honeyhive

namespace honeyhive {
namespace {

TEST(BindContextTest, AStdThreadGetsTheCallersParentSessionAndTracer) {
  auto t = make_tracer("threads");
  Span parent = t.tracer->start_span("parent", EventType::chain);
  std::thread worker(bind_context([] { HH_SPAN(child, "child", tool); }));
  worker.join();
  parent.end();
  const auto child = t.named("child");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->parent_span_id, parent.context().span_id());
  EXPECT_EQ(child->context.trace_id(), parent.context().trace_id());
  EXPECT_EQ(*find_string_attribute(*child, "honeyhive.session_id"), t.tracer->session_id());
}

// A span handed to another thread to end (a task, a completion callback) is deactivated on the
// thread that started it first: that thread's later spans are not its children.
TEST(BindContextTest, ASpanDeactivatedWhereItStartedCanEndOnAnotherThread) {
  auto t = make_tracer("threads");
  test::DiagnosticsCapture diagnostics;
  {
    Span job = t.tracer->start_span("async_job", EventType::chain);
    job.deactivate();
    EXPECT_FALSE(Context::current().span_context().is_valid());
    std::thread worker([span = std::move(job)]() mutable { span.set_outputs({{"done", true}}); });
    worker.join();
  }
  { Span next = t.tracer->start_span("next_request", EventType::chain); }
  const auto next = t.named("next_request");
  ASSERT_NE(next, nullptr);
  EXPECT_FALSE(next->parent_span_id.is_valid());
  EXPECT_NE(t.named("async_job"), nullptr);
  EXPECT_EQ(diagnostics.count_containing("other than the one"), 0U);
}

// Without deactivate(), the starting thread keeps the ended span as its current span: the warning
// says so and what to do. (The starting thread is one of the test's own, so that its context goes
// with it.)
TEST(BindContextTest, ASpanEndedOnAnotherThreadWithoutDeactivateIsReportedWithTheRemedy) {
  auto t = make_tracer("threads");
  test::DiagnosticsCapture diagnostics;
  std::thread owner([&] {
    Span job = t.tracer->start_span("async_job", EventType::chain);
    std::thread worker([span = std::move(job)]() mutable { span.end(); });
    worker.join();
  });
  owner.join();
  EXPECT_TRUE(diagnostics.mentions("deactivate()"));
}

TEST(BindContextTest, WithoutBindingAThreadStartsFromAnEmptyContext) {
  auto t = make_tracer("threads");
  Span parent = t.tracer->start_span("parent", EventType::chain);
  bool had_parent = true;
  std::thread worker([&] { had_parent = Context::current().span_context().is_valid(); });
  worker.join();
  EXPECT_FALSE(had_parent);
}

}  // namespace
}  // namespace honeyhive
