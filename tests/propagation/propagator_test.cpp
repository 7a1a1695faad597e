// Carriers and propagators: header lookup, W3C trace context and baggage injection/extraction,
// the inbound baggage trust policy, OTEL_PROPAGATORS, and the current-context conveniences.
#include "honeyhive/propagation/propagator.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "honeyhive/core/ids.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "honeyhive/propagation/baggage.hpp"
#include "honeyhive/propagation/carrier.hpp"
#include "honeyhive/propagation/trace_context.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/in_memory_provider.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

using Headers = std::map<std::string, std::string>;
using Members = std::vector<TraceState::Member>;

constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kSpanId = "00f067aa0ba902b7";
constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

SpanContext local_context(std::uint8_t flags = TraceFlags::kSampled,
                          std::shared_ptr<const TraceState> state = nullptr) {
  return SpanContext(*TraceId::from_hex(kTraceId), *SpanId::from_hex(kSpanId), TraceFlags{flags}, false,
                     std::move(state));
}

std::optional<std::string> header_of(const Headers& headers, const std::string& name) {
  const auto found = headers.find(name);
  if (found == headers.end()) return std::nullopt;
  return found->second;
}

// A carrier whose every call throws, as a buggy HTTP adapter might.
class ThrowingCarrier final : public TextMapCarrier {
 public:
  std::optional<std::string> get(std::string_view) const override { throw std::runtime_error("get"); }
  void set(std::string_view, std::string_view) override { throw std::runtime_error("set"); }
  std::vector<std::string> keys() const override { throw std::runtime_error("keys"); }
};

// --- MapCarrier ----------------------------------------------------------------------------

TEST(MapCarrierTest, GetIgnoresCaseForStdMap) {
  std::map<std::string, std::string> headers{{"TraceParent", "value"}};
  const auto carrier = make_map_carrier(headers);
  EXPECT_EQ(carrier.get("traceparent"), "value");
  EXPECT_EQ(carrier.get("TRACEPARENT"), "value");
}

TEST(MapCarrierTest, GetIgnoresCaseForUnorderedMap) {
  std::unordered_map<std::string, std::string> headers{{"TrAcEsTaTe", "value"}};
  const auto carrier = make_map_carrier(headers);
  EXPECT_EQ(carrier.get("tracestate"), "value");
  EXPECT_EQ(carrier.get("TRACESTATE"), "value");
}

TEST(MapCarrierTest, GetPrefersTheExactKey) {
  std::map<std::string, std::string> headers{{"Baggage", "other"}, {"baggage", "exact"}};
  EXPECT_EQ(make_map_carrier(headers).get("baggage"), "exact");
}

TEST(MapCarrierTest, GetReturnsNulloptForMissingHeader) {
  std::map<std::string, std::string> headers{{"trace-parent", "x"}, {"trace.parent", "y"}};
  EXPECT_FALSE(make_map_carrier(headers).get("traceparent").has_value());
}

TEST(MapCarrierTest, SetWritesIntoTheMap) {
  std::unordered_map<std::string, std::string> headers;
  auto carrier = make_map_carrier(headers);
  carrier.set("traceparent", "value");
  EXPECT_EQ(headers.at("traceparent"), "value");
}

TEST(MapCarrierTest, SetOverwritesAnExistingHeader) {
  Headers ordered{{"traceparent", "old"}};
  make_map_carrier(ordered).set("traceparent", "new");
  EXPECT_EQ(ordered, (Headers{{"traceparent", "new"}}));
  std::unordered_map<std::string, std::string> unordered{{"baggage", "old"}};
  make_map_carrier(unordered).set("baggage", "new");
  EXPECT_EQ(unordered.at("baggage"), "new");
  EXPECT_EQ(unordered.size(), 1U);
}

// A server's request headers are usually const (a handler's `const Request&`): extracting from them
// needs no copy. Such a carrier is read-only; a write to it changes nothing.
TEST(MapCarrierTest, ExtractsFromAConstMap) {
  const Headers headers{{"Traceparent", kTraceparent}};
  auto carrier = make_map_carrier(headers);
  const Context parent = TraceContextPropagator().extract(carrier, Context());
  EXPECT_EQ(parent.span_context().trace_id().to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  carrier.set("traceparent", "other");
  EXPECT_EQ(headers.size(), 1U);
  const std::unordered_map<std::string, std::string> unordered{{"TRACEPARENT", kTraceparent}};
  EXPECT_EQ(make_map_carrier(unordered).get("traceparent"), kTraceparent);
}

TEST(MapCarrierTest, GetViewReadsTheValueInTheMap) {
  Headers headers{{"traceparent", kTraceparent}};
  const auto carrier = make_map_carrier(headers);
  std::string storage;
  const auto value = carrier.get_view("TraceParent", storage);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, kTraceparent);
  EXPECT_EQ(value->data(), headers.at("traceparent").data());  // a view, not a copy
  EXPECT_TRUE(storage.empty());
  EXPECT_FALSE(carrier.get_view("tracestate", storage).has_value());
}

// Many HTTP libraries hand over all request headers: more than the carrier scans linearly.
Headers many_headers() {
  Headers headers;
  for (int i = 0; i < 20; ++i) headers["X-Header-" + std::to_string(i)] = std::to_string(i);
  return headers;
}

TEST(MapCarrierTest, GetIgnoresCaseInALargeMap) {
  Headers headers = many_headers();
  headers["TraceParent"] = "value";
  EXPECT_EQ(make_map_carrier(headers).get("traceparent"), "value");
  std::string storage;
  EXPECT_EQ(make_map_carrier(headers).get_view("TRACEPARENT", storage), "value");
}

TEST(MapCarrierTest, GetPrefersTheExactKeyInALargeMap) {
  Headers headers = many_headers();
  headers["Baggage"] = "other";
  headers["baggage"] = "exact";
  EXPECT_EQ(make_map_carrier(headers).get("baggage"), "exact");
  EXPECT_EQ(make_map_carrier(headers).get("Baggage"), "other");
}

TEST(MapCarrierTest, GetReturnsNulloptForMissingHeaderInALargeMap) {
  Headers headers = many_headers();
  EXPECT_FALSE(make_map_carrier(headers).get("traceparent").has_value());
}

TEST(MapCarrierTest, ExtractsFromALargeMap) {
  Headers headers = many_headers();
  headers["Traceparent"] = kTraceparent;
  headers["Baggage"] = "k=v";
  const Context extracted = make_default_propagator()->extract(make_map_carrier(headers), Context());
  EXPECT_EQ(extracted.span_context().trace_id().to_hex(), kTraceId);
  EXPECT_EQ(extracted.baggage("k"), "v");
}

// A carrier implementing only get(): get_view falls back on it.
class GetOnlyCarrier final : public TextMapCarrier {
 public:
  explicit GetOnlyCarrier(Headers headers) : headers_(std::move(headers)) {}
  std::optional<std::string> get(std::string_view key) const override { return header_of(headers_, std::string(key)); }
  void set(std::string_view, std::string_view) override {}
  std::vector<std::string> keys() const override { return {}; }

 private:
  Headers headers_;
};

TEST(TextMapCarrierTest, GetViewDefaultsToACopyOfGet) {
  const GetOnlyCarrier carrier(Headers{{"baggage", "k=v"}});
  std::string storage;
  const auto value = carrier.get_view("baggage", storage);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, "k=v");
  EXPECT_EQ(value->data(), storage.data());
  EXPECT_FALSE(carrier.get_view("traceparent", storage).has_value());
}

TEST(TextMapCarrierTest, PropagatorsReadThroughCarriersThatImplementOnlyGet) {
  const GetOnlyCarrier carrier(Headers{{"traceparent", kTraceparent}, {"tracestate", "foo=1"}, {"baggage", "k=v"}});
  const Context extracted = make_default_propagator()->extract(carrier, Context());
  EXPECT_EQ(extracted.span_context().span_id().to_hex(), kSpanId);
  EXPECT_EQ(extracted.span_context().trace_state().get("foo"), "1");
  EXPECT_EQ(extracted.baggage("k"), "v");
}

TEST(MapCarrierTest, KeysListsEveryHeader) {
  std::map<std::string, std::string> headers{{"a", "1"}, {"B", "2"}};
  EXPECT_EQ(make_map_carrier(headers).keys(), (std::vector<std::string>{"B", "a"}));
}

// --- CallbackCarrier -----------------------------------------------------------------------

TEST(CallbackCarrierTest, ForwardsToTheCallbacks) {
  Headers headers{{"traceparent", "value"}};
  CallbackCarrier carrier([&](std::string_view key) { return header_of(headers, std::string(key)); },
                          [&](std::string_view key, std::string_view value) { headers[std::string(key)] = value; },
                          [&] { return std::vector<std::string>{"traceparent"}; });
  EXPECT_EQ(carrier.get("traceparent"), "value");
  carrier.set("baggage", "k=v");
  EXPECT_EQ(headers.at("baggage"), "k=v");
  EXPECT_EQ(carrier.keys(), std::vector<std::string>{"traceparent"});
}

TEST(CallbackCarrierTest, ThrowingGetterReadsAsAbsent) {
  const CallbackCarrier carrier([](std::string_view) -> std::optional<std::string> { throw std::runtime_error("x"); },
                                nullptr);
  std::optional<std::string> value = std::string("unchanged");
  EXPECT_NO_THROW(value = carrier.get("traceparent"));
  EXPECT_FALSE(value.has_value());
}

TEST(CallbackCarrierTest, ThrowingSetterDoesNotThrow) {
  CallbackCarrier carrier(nullptr, [](std::string_view, std::string_view) { throw std::runtime_error("x"); });
  EXPECT_NO_THROW(carrier.set("traceparent", "value"));
}

TEST(CallbackCarrierTest, ThrowingListerListsNothing) {
  const CallbackCarrier carrier(nullptr, nullptr, []() -> std::vector<std::string> { throw std::runtime_error("x"); });
  std::vector<std::string> keys{"unchanged"};
  EXPECT_NO_THROW(keys = carrier.keys());
  EXPECT_TRUE(keys.empty());
}

TEST(CallbackCarrierTest, MissingCallbacksReadNothingAndIgnoreWrites) {
  CallbackCarrier carrier(nullptr, nullptr);
  EXPECT_FALSE(carrier.get("traceparent").has_value());
  EXPECT_NO_THROW(carrier.set("traceparent", "value"));
  EXPECT_TRUE(carrier.keys().empty());
}

TEST(CallbackCarrierTest, ExtractThroughThrowingCallbacksReturnsTheBase) {
  const CallbackCarrier carrier([](std::string_view) -> std::optional<std::string> { throw std::runtime_error("x"); },
                                nullptr);
  const Context base = Context().with_baggage("kept", "1");
  const Context extracted = make_default_propagator()->extract(carrier, base);
  EXPECT_FALSE(extracted.span_context().is_valid());
  EXPECT_EQ(extracted.all_baggage(), base.all_baggage());
}

// --- TraceContextPropagator ----------------------------------------------------------------

TEST(TraceContextPropagatorTest, InjectsTraceparent) {
  Headers headers;
  auto carrier = make_map_carrier(headers);
  TraceContextPropagator().inject(Context().with_span_context(local_context()), carrier);
  EXPECT_EQ(header_of(headers, "traceparent"), kTraceparent);
  EXPECT_FALSE(header_of(headers, "tracestate").has_value());
}

TEST(TraceContextPropagatorTest, InjectsTracestate) {
  Headers headers;
  auto carrier = make_map_carrier(headers);
  const auto state = std::make_shared<const TraceState>(TraceState(Members{{"rojo", "1"}, {"congo", "2"}}));
  TraceContextPropagator().inject(Context().with_span_context(local_context(TraceFlags::kSampled, state)), carrier);
  EXPECT_EQ(header_of(headers, "tracestate"), "rojo=1,congo=2");
}

TEST(TraceContextPropagatorTest, InjectsNothingWithoutValidContext) {
  Headers headers;
  auto carrier = make_map_carrier(headers);
  TraceContextPropagator().inject(Context(), carrier);
  EXPECT_TRUE(headers.empty());
}

TEST(TraceContextPropagatorTest, InjectIntoThrowingCarrierDoesNotThrow) {
  ThrowingCarrier carrier;
  TraceContextPropagator().inject(Context().with_span_context(local_context()), carrier);  // noexcept: must return
  SUCCEED();
}

TEST(TraceContextPropagatorTest, RoundTripsThroughHeaders) {
  const auto state = std::make_shared<const TraceState>(TraceState(Members{{"foo", "1"}, {"bar", "2"}}));
  const SpanContext sent = local_context(TraceFlags::kSampled | TraceFlags::kRandom, state);
  Headers headers;
  auto carrier = make_map_carrier(headers);
  TraceContextPropagator propagator;
  propagator.inject(Context().with_span_context(sent), carrier);

  const SpanContext received = propagator.extract(carrier, Context()).span_context();
  EXPECT_EQ(received.trace_id(), sent.trace_id());
  EXPECT_EQ(received.span_id(), sent.span_id());
  EXPECT_EQ(received.flags(), sent.flags());
  EXPECT_TRUE(received.is_remote());
  EXPECT_EQ(received.trace_state(), *state);
}

TEST(TraceContextPropagatorTest, RoundTripsEveryFlagsValueKeepingTheDefinedBits) {
  TraceContextPropagator propagator;
  for (int flags = 0; flags < 256; ++flags) {
    Headers headers;
    auto carrier = make_map_carrier(headers);
    propagator.inject(Context().with_span_context(local_context(static_cast<std::uint8_t>(flags))), carrier);
    const SpanContext received = propagator.extract(carrier, Context()).span_context();
    ASSERT_TRUE(received.is_valid()) << flags;
    EXPECT_EQ(received.flags().value, flags & 0x03) << flags;
  }
}

TEST(TraceContextPropagatorTest, InjectsTracestateWithinTheLengthLimit) {
  // 40 members of 21 characters: past both the 32-member and the 512-character limits.
  Members members;
  for (int i = 0; i < 40; ++i) {
    char key[8];
    std::snprintf(key, sizeof key, "k%02d", i);
    members.emplace_back(key, std::string(17, 'v'));
  }
  const auto state = std::make_shared<const TraceState>(TraceState(members));
  Headers headers;
  auto carrier = make_map_carrier(headers);
  TraceContextPropagator().inject(Context().with_span_context(local_context(TraceFlags::kSampled, state)), carrier);
  const auto header = header_of(headers, "tracestate");
  ASSERT_TRUE(header.has_value());
  EXPECT_LE(header->size(), trace_context::kMaxTraceStateLength);
  EXPECT_EQ(*header, trace_context::format_tracestate(*state));
  EXPECT_EQ(trace_context::parse_tracestate(*header)->members().size(), 23U);  // 23 * 21 + 22 commas = 505
}

TEST(TraceContextPropagatorTest, InjectsNoTracestateWhenEveryMemberIsInvalid) {
  const auto state = std::make_shared<const TraceState>(TraceState(Members{{"Upper", "1"}, {"k", "a,b"}}));
  Headers headers;
  auto carrier = make_map_carrier(headers);
  TraceContextPropagator().inject(Context().with_span_context(local_context(TraceFlags::kSampled, state)), carrier);
  EXPECT_TRUE(header_of(headers, "traceparent").has_value());
  EXPECT_FALSE(header_of(headers, "tracestate").has_value());
}

TEST(TraceContextPropagatorTest, ExtractReadsHeaderNamesInAnyCase) {
  Headers headers{{"TRACEPARENT", kTraceparent}, {"TraceState", "foo=1"}};
  const SpanContext received = TraceContextPropagator().extract(make_map_carrier(headers), Context()).span_context();
  EXPECT_EQ(received.trace_id().to_hex(), kTraceId);
  EXPECT_EQ(received.trace_state().get("foo"), "1");
}

TEST(TraceContextPropagatorTest, ExtractWithoutTraceparentReturnsTheBaseAndCountsNothing) {
  Headers headers{{"tracestate", "foo=1"}};
  TraceContextPropagator propagator;
  const Context base = Context().with_baggage("kept", "1");
  const Context extracted = propagator.extract(make_map_carrier(headers), base);
  EXPECT_FALSE(extracted.span_context().is_valid());
  EXPECT_EQ(extracted.baggage("kept"), "1");
  EXPECT_EQ(propagator.stats().traceparent_rejected, 0U);
  EXPECT_EQ(propagator.stats().tracestate_rejected, 0U);
}

TEST(TraceContextPropagatorTest, InvalidTraceparentReturnsTheBaseAndIgnoresTracestate) {
  Headers headers{{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, {"tracestate", "foo=1"}};
  const auto base_state = std::make_shared<const TraceState>(TraceState(Members{{"base", "1"}}));
  const SpanContext base_parent(TraceId::random(), SpanId::random(), TraceFlags{1}, true, base_state);
  const Context base = Context().with_span_context(base_parent);
  TraceContextPropagator propagator;

  const SpanContext received = propagator.extract(make_map_carrier(headers), base).span_context();
  EXPECT_EQ(received, base_parent);
  EXPECT_EQ(received.trace_state(), *base_state);
}

TEST(TraceContextPropagatorTest, CountsRejectedTraceparent) {
  Headers headers{{"traceparent", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, {"tracestate", "FOO=1"}};
  TraceContextPropagator propagator;
  (void)propagator.extract(make_map_carrier(headers), Context());
  EXPECT_EQ(propagator.stats().traceparent_rejected, 1U);
  EXPECT_EQ(propagator.stats().tracestate_rejected, 0U);  // never parsed (section 3.3)
}

TEST(TraceContextPropagatorTest, DuplicatedTraceparentHeadersStartANewTrace) {
  // Two traceparent fields reach the carrier joined with "," (RFC 9110 section 5.3).
  Headers headers{{"traceparent", std::string(kTraceparent) + "," + kTraceparent}};
  TraceContextPropagator propagator;
  EXPECT_FALSE(propagator.extract(make_map_carrier(headers), Context()).span_context().is_valid());
  EXPECT_EQ(propagator.stats().traceparent_rejected, 1U);
}

TEST(TraceContextPropagatorTest, InvalidTracestateKeepsTheParentWithoutState) {
  Headers headers{{"traceparent", kTraceparent}, {"tracestate", "foo=1,BAR=2"}};
  TraceContextPropagator propagator;
  const SpanContext received = propagator.extract(make_map_carrier(headers), Context()).span_context();
  EXPECT_EQ(received.trace_id().to_hex(), kTraceId);
  EXPECT_EQ(received.span_id().to_hex(), kSpanId);
  EXPECT_TRUE(received.trace_state().empty());
  EXPECT_EQ(propagator.stats().tracestate_rejected, 1U);
  EXPECT_EQ(propagator.stats().traceparent_rejected, 0U);
}

TEST(TraceContextPropagatorTest, EmptyTracestateIsNotARejection) {
  Headers headers{{"traceparent", kTraceparent}, {"tracestate", ""}};
  TraceContextPropagator propagator;
  const SpanContext received = propagator.extract(make_map_carrier(headers), Context()).span_context();
  EXPECT_TRUE(received.is_valid());
  EXPECT_TRUE(received.trace_state().empty());
  EXPECT_EQ(propagator.stats().tracestate_rejected, 0U);
}

TEST(TraceContextPropagatorTest, ExtractKeepsTheBaseBaggage) {
  Headers headers{{"traceparent", kTraceparent}};
  const Context extracted =
      TraceContextPropagator().extract(make_map_carrier(headers), Context().with_baggage("kept", "1"));
  EXPECT_TRUE(extracted.span_context().is_valid());
  EXPECT_EQ(extracted.baggage("kept"), "1");
}

TEST(TraceContextPropagatorTest, ExtractFromThrowingCarrierReturnsTheBase) {
  const ThrowingCarrier carrier;
  const Context base = Context().with_span_context(local_context());
  EXPECT_EQ(TraceContextPropagator().extract(carrier, base).span_context(), base.span_context());
}

TEST(TraceContextPropagatorTest, FieldsAreTraceparentAndTracestate) {
  EXPECT_EQ(TraceContextPropagator().fields(), (std::vector<std::string>{"traceparent", "tracestate"}));
}

// A span started under an extracted context continues the inbound trace.
class ExtractedParentTest : public ::testing::Test {
 protected:
  SpanDataPtr run_child_of(const Context& parent, Headers* outbound = nullptr) {
    StartSpanOptions options;
    options.parent = parent;
    {
      auto span = traced_.tracer->start_span("child", options);
      if (outbound != nullptr) {
        auto carrier = make_map_carrier(*outbound);
        TraceContextPropagator().inject(parent.with_span(span), carrier);
      }
    }
    const auto spans = traced_.exporter->spans();
    return spans.size() == 1 ? spans.front() : nullptr;
  }

  test::InMemoryProvider traced_ = test::make_in_memory_provider({}, "propagator_test");
};

TEST_F(ExtractedParentTest, ChildSpanContinuesTheInboundTrace) {
  Headers headers{{"traceparent", kTraceparent}};
  const Context parent = TraceContextPropagator().extract(make_map_carrier(headers), Context());
  const SpanDataPtr child = run_child_of(parent);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->context.trace_id().to_hex(), kTraceId);
  EXPECT_EQ(child->parent_span_id.to_hex(), kSpanId);
  EXPECT_TRUE(child->parent_is_remote);
  EXPECT_NE(child->context.span_id().to_hex(), kSpanId);
}

TEST_F(ExtractedParentTest, OutboundHeadersCarryNewParentIdAndInboundTracestate) {
  Headers inbound{{"traceparent", kTraceparent}, {"tracestate", "foo=1,bar=2"}};
  const Context parent = TraceContextPropagator().extract(make_map_carrier(inbound), Context());
  Headers outbound;
  const SpanDataPtr child = run_child_of(parent, &outbound);
  ASSERT_NE(child, nullptr);
  const auto traceparent = trace_context::parse_traceparent(outbound["traceparent"]);
  ASSERT_TRUE(traceparent.has_value());
  EXPECT_EQ(traceparent->trace_id().to_hex(), kTraceId);
  EXPECT_EQ(traceparent->span_id(), child->context.span_id());
  EXPECT_EQ(outbound["tracestate"], "foo=1,bar=2");
}

TEST_F(ExtractedParentTest, ChildOfRandomFlaggedParentKeepsTheRandomFlag) {
  // Trace Context Level 2, section 3.2.2.5.2 (the harness's test_propagates_random_flag).
  Headers inbound{{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02"}};
  const Context parent = TraceContextPropagator().extract(make_map_carrier(inbound), Context());
  Headers outbound;
  (void)run_child_of(parent, &outbound);
  const auto traceparent = trace_context::parse_traceparent(outbound["traceparent"]);
  ASSERT_TRUE(traceparent.has_value());
  EXPECT_TRUE(traceparent->flags().random());
  EXPECT_EQ(traceparent->trace_id().to_hex(), kTraceId);
}

// --- BaggagePropagator ---------------------------------------------------------------------

TEST(BaggagePropagatorTest, RoundTripsThroughHeaders) {
  const Context sent = Context().with_baggage("user", "ada lovelace").with_baggage("tier", "gold", "ttl=60;internal");
  Headers headers;
  auto carrier = make_map_carrier(headers);
  BaggagePropagator propagator;
  propagator.inject(sent, carrier);
  const Context received = propagator.extract(carrier, Context());
  EXPECT_EQ(received.all_baggage(), sent.all_baggage());
}

TEST(BaggagePropagatorTest, InjectsNothingWithoutBaggage) {
  Headers headers;
  auto carrier = make_map_carrier(headers);
  BaggagePropagator().inject(Context(), carrier);
  EXPECT_TRUE(headers.empty());
}

TEST(BaggagePropagatorTest, InboundEntriesOverrideTheBaseAndKeepTheRest) {
  Headers headers{{"baggage", "shared=inbound,new=1"}};
  const Context base = Context().with_baggage("shared", "base").with_baggage("own", "2");
  const Context received = BaggagePropagator().extract(make_map_carrier(headers), base);
  EXPECT_EQ(received.baggage("shared"), "inbound");
  EXPECT_EQ(received.baggage("own"), "2");
  EXPECT_EQ(received.baggage("new"), "1");
}

TEST(BaggagePropagatorTest, CountsInvalidAndDroppedMembers) {
  std::string header = "bad key=1,b=%zz";
  for (int i = 0; i < 65; ++i) header += ",k" + std::to_string(i) + "=v";
  Headers headers{{"baggage", header}};
  BaggagePropagator propagator;
  (void)propagator.extract(make_map_carrier(headers), Context());
  EXPECT_EQ(propagator.stats().baggage_invalid_members, 2U);
  EXPECT_EQ(propagator.stats().baggage_dropped_members, 1U);
}

std::string members_named(const std::string& prefix, int count, const std::string& value = "v") {
  std::string header;
  for (int i = 0; i < count; ++i) header += (i > 0 ? "," : "") + prefix + std::to_string(i) + "=" + value;
  return header;
}

// Extracting onto a context that has baggage keeps the merge within the limits: repeated extracts
// (middleware, then the handler) cannot grow a context without bound; the new inbound members past
// the limit are dropped and counted, the context's own and the overrides kept.
TEST(BaggagePropagatorTest, ExtractsOntoBaggageStayWithinTheMemberLimit) {
  BaggagePropagator propagator;
  Context context = Context().with_baggage("mine", "kept");
  for (int round = 0; round < 4; ++round) {
    Headers headers{{"baggage", members_named("r" + std::to_string(round) + "k", 64)}};
    context = propagator.extract(make_map_carrier(headers), context);
  }
  EXPECT_EQ(context.all_baggage().size(), baggage::kMaxMembers);
  EXPECT_EQ(context.baggage("mine"), "kept");
  EXPECT_EQ(context.baggage("r0k62"), "v");
  EXPECT_EQ(context.baggage("r0k63"), std::nullopt);
  EXPECT_EQ(propagator.stats().baggage_dropped_members, 1U + 3U * 64U);
}

TEST(BaggagePropagatorTest, ExtractOntoLargeBaggageStaysWithinTheByteLimit) {
  const std::string big(4000, 'x');
  const Context base = Context().with_baggage("a", big).with_baggage("b", big);
  Headers headers{{"baggage", "c=" + big + ",d=" + big + ",e=small"}};
  BaggagePropagator propagator;
  const Context context = propagator.extract(make_map_carrier(headers), base);
  EXPECT_EQ(context.baggage("a"), big);
  EXPECT_EQ(context.baggage("b"), big);
  EXPECT_EQ(context.baggage("c"), std::nullopt);
  EXPECT_EQ(context.baggage("e"), "small");  // a later member that fits is kept
  EXPECT_EQ(propagator.stats().baggage_dropped_members, 2U);
  EXPECT_LE(baggage::format(context.all_baggage()).size(), baggage::kMaxBytes);
}

// The context's own entries are never removed by an extract: an inbound override that does not fit
// leaves the context's value, and a context already past the limits (built in-process) keeps all of
// its members while the new inbound one is left out.
TEST(BaggagePropagatorTest, AnExtractNeverRemovesTheContextsOwnEntries) {
  {
    const std::string own(300, 'y');
    const Context base = Context().with_baggage("a", "1").with_baggage("b", own);
    Headers headers{{"baggage", "a=" + std::string(7950, 'x') + ",c=3"}};  // fits alone, not with b
    BaggagePropagator propagator;
    const Context context = propagator.extract(make_map_carrier(headers), base);
    EXPECT_EQ(context.baggage("a"), "1");
    EXPECT_EQ(context.baggage("b"), own);
    EXPECT_EQ(context.baggage("c"), "3");
    EXPECT_EQ(propagator.stats().baggage_dropped_members, 1U);
  }
  {
    Context base;
    for (int i = 0; i < 70; ++i) base = base.with_baggage("k" + std::to_string(i), "v");
    Headers headers{{"baggage", "inbound=1,k3=new"}};
    BaggagePropagator propagator;
    const Context context = propagator.extract(make_map_carrier(headers), base);
    EXPECT_EQ(context.all_baggage().size(), 70U);
    EXPECT_EQ(context.baggage("k69"), "v");
    EXPECT_EQ(context.baggage("k3"), "new");  // an override of the same size makes nothing worse
    EXPECT_EQ(context.baggage("inbound"), std::nullopt);
    EXPECT_EQ(propagator.stats().baggage_dropped_members, 1U);
  }
}

// Sizes count properties as format() writes them (whitespace around them removed).
TEST(BaggageMergeTest, CountsPropertiesAsFormatWritesThem) {
  std::vector<BaggageEntry> into{{"a", std::string(8185, 'x'), {}}};
  const std::vector<BaggageEntry> entries{{"b", "", "p   "}};
  std::vector<BaggageEntry> all = into;
  all.push_back(entries[0]);
  ASSERT_EQ(baggage::format(all).size(), baggage::kMaxBytes);  // "a=xxx...,b=;p"
  EXPECT_EQ(baggage::merge_within_limits(into, entries), 0U);
  EXPECT_EQ(into.size(), 2U);
}

// Members left out at inject or extract are counted where the caller can read them, and said in a
// debug line; inject_current's and extract_onto_current's too.
TEST(BaggagePropagatorTest, DroppedMembersAreCountedAndSaid) {
  const test::ThreadDiagnosticsCapture debug(DiagnosticLevel::debug);
  Context context;
  for (int i = 0; i < 70; ++i) context = context.with_baggage("k" + std::to_string(i), "v");
  const std::uint64_t before = default_propagation_stats().baggage_dropped_members;
  Headers out;
  {
    Scope scope(context);
    auto carrier = make_map_carrier(out);
    inject_current(carrier);
  }
  EXPECT_EQ(out["baggage"], members_named("k", 64));
  EXPECT_EQ(default_propagation_stats().baggage_dropped_members - before, 6U);
  EXPECT_EQ(debug.count_containing("baggage inject: 6 member(s) past the 64-member / 8192-byte limit left out"), 1U);
}

TEST(BaggagePropagatorTest, FieldsAreBaggage) {
  EXPECT_EQ(BaggagePropagator().fields(), std::vector<std::string>{"baggage"});
}

TEST(BaggageKeyClassTest, ClassifiesTheHoneyHiveKeys) {
  for (const char* key : {"session_id", "session_name", "source", "parent_id"}) {
    EXPECT_EQ(classify_baggage_key(key), BaggageKeyClass::correlation) << key;
  }
  for (const char* key : {"project", "honeyhive_tracer_id"}) {
    EXPECT_EQ(classify_baggage_key(key), BaggageKeyClass::routing) << key;
  }
  for (const char* key : {"run_id", "dataset_id", "datapoint_id"}) {
    EXPECT_EQ(classify_baggage_key(key), BaggageKeyClass::evaluation) << key;
  }
  for (const char* key : {"user", "Project", "session", "run_id2"}) {
    EXPECT_EQ(classify_baggage_key(key), BaggageKeyClass::application) << key;
  }
}

// The inbound trust policy (docs/propagation.md, "Trust policy for inbound baggage").
class InboundPolicyTest : public ::testing::Test {
 protected:
  static constexpr const char* kEverything =
      "session_id=abc,source=python,parent_id=p1,session_name=demo,user=ada,"
      "project=other,honeyhive_tracer_id=t1,run_id=r1,dataset_id=d1,datapoint_id=dp1";

  Context extract(const BaggagePropagator& propagator, const Context& base = Context()) {
    Headers headers{{"baggage", kEverything}};
    return propagator.extract(make_map_carrier(headers), base);
  }
};

TEST_F(InboundPolicyTest, AcceptsCorrelationKeys) {
  const Context received = extract(BaggagePropagator());
  EXPECT_EQ(received.baggage("session_id"), "abc");
  EXPECT_EQ(received.baggage("source"), "python");
  EXPECT_EQ(received.baggage("parent_id"), "p1");
  EXPECT_EQ(received.baggage("session_name"), "demo");
}

TEST_F(InboundPolicyTest, AcceptsApplicationKeys) { EXPECT_EQ(extract(BaggagePropagator()).baggage("user"), "ada"); }

TEST_F(InboundPolicyTest, RefusesRoutingKeysByDefault) {
  const Context received = extract(BaggagePropagator());
  EXPECT_FALSE(received.baggage("project").has_value());
  EXPECT_FALSE(received.baggage("honeyhive_tracer_id").has_value());
}

TEST_F(InboundPolicyTest, RefusesEvaluationKeysByDefault) {
  const Context received = extract(BaggagePropagator());
  EXPECT_FALSE(received.baggage("run_id").has_value());
  EXPECT_FALSE(received.baggage("dataset_id").has_value());
  EXPECT_FALSE(received.baggage("datapoint_id").has_value());
}

TEST_F(InboundPolicyTest, CountsRefusedKeys) {
  BaggagePropagator propagator;
  (void)extract(propagator);
  EXPECT_EQ(propagator.stats().baggage_untrusted_members, 5U);
  EXPECT_EQ(propagator.stats().baggage_invalid_members, 0U);
}

// The refusals are counted always, and said in a debug line only where debug lines are taken (the
// line is built per request, so not at all otherwise).
TEST_F(InboundPolicyTest, SaysHowManyKeysItRefusedOnlyAtDebugLevel) {
  {
    test::DiagnosticsCapture warnings(DiagnosticLevel::warning);
    EXPECT_FALSE(diagnostic_accepted(DiagnosticLevel::debug));
    BaggagePropagator propagator;
    (void)extract(propagator);
    EXPECT_EQ(propagator.stats().baggage_untrusted_members, 5U);
    EXPECT_TRUE(warnings.lines().empty());
  }
  test::DiagnosticsCapture debug(DiagnosticLevel::debug);
  EXPECT_TRUE(diagnostic_accepted(DiagnosticLevel::debug));
  (void)extract(BaggagePropagator());
  const auto lines = debug.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("inbound baggage: 5 routing/evaluation entries refused"), std::string::npos) << lines[0];
}

TEST_F(InboundPolicyTest, AcceptsRoutingKeysWhenTrusted) {
  InboundBaggagePolicy policy;
  policy.trust_inbound_routing = true;
  BaggagePropagator propagator(policy);
  const Context received = extract(propagator);
  EXPECT_EQ(received.baggage("project"), "other");
  EXPECT_EQ(received.baggage("honeyhive_tracer_id"), "t1");
  EXPECT_FALSE(received.baggage("run_id").has_value());  // evaluation stays refused
  EXPECT_EQ(propagator.stats().baggage_untrusted_members, 3U);
}

TEST_F(InboundPolicyTest, AcceptsEvaluationKeysWhenTrusted) {
  InboundBaggagePolicy policy;
  policy.trust_inbound_evaluation = true;
  BaggagePropagator propagator(policy);
  const Context received = extract(propagator);
  EXPECT_EQ(received.baggage("run_id"), "r1");
  EXPECT_EQ(received.baggage("dataset_id"), "d1");
  EXPECT_EQ(received.baggage("datapoint_id"), "dp1");
  EXPECT_FALSE(received.baggage("project").has_value());  // routing stays refused
  EXPECT_EQ(propagator.stats().baggage_untrusted_members, 2U);
}

TEST_F(InboundPolicyTest, RefusedInboundKeyLeavesTheInProcessValue) {
  const Context base = Context().with_baggage("project", "mine").with_baggage("run_id", "mine");
  const Context received = extract(BaggagePropagator(), base);
  EXPECT_EQ(received.baggage("project"), "mine");
  EXPECT_EQ(received.baggage("run_id"), "mine");
}

TEST_F(InboundPolicyTest, InjectsInProcessRoutingAndEvaluationKeys) {
  const Context context = Context()
                              .with_baggage("project", "p")
                              .with_baggage("honeyhive_tracer_id", "t")
                              .with_baggage("run_id", "r")
                              .with_baggage("dataset_id", "d")
                              .with_baggage("datapoint_id", "dp")
                              .with_baggage("session_id", "s");
  Headers headers;
  auto carrier = make_map_carrier(headers);
  BaggagePropagator().inject(context, carrier);
  const auto parsed = baggage::parse(headers["baggage"]);
  EXPECT_EQ(parsed.entries, context.all_baggage());
}

// --- CompositePropagator -------------------------------------------------------------------

TEST(CompositePropagatorTest, InjectsTraceContextAndBaggage) {
  Headers headers;
  auto carrier = make_map_carrier(headers);
  make_default_propagator()->inject(Context().with_span_context(local_context()).with_baggage("k", "v"), carrier);
  EXPECT_EQ(header_of(headers, "traceparent"), kTraceparent);
  EXPECT_EQ(header_of(headers, "baggage"), "k=v");
}

TEST(CompositePropagatorTest, ExtractsTraceContextAndBaggage) {
  Headers headers{{"traceparent", kTraceparent}, {"baggage", "k=v"}};
  const Context received = make_default_propagator()->extract(make_map_carrier(headers), Context());
  EXPECT_EQ(received.span_context().trace_id().to_hex(), kTraceId);
  EXPECT_EQ(received.baggage("k"), "v");
}

TEST(CompositePropagatorTest, FieldsListEveryPropagatorsHeaders) {
  EXPECT_EQ(make_default_propagator()->fields(), (std::vector<std::string>{"traceparent", "tracestate", "baggage"}));
}

TEST(CompositePropagatorTest, SkipsNullPropagators) {
  const CompositePropagator propagator({nullptr, std::make_shared<BaggagePropagator>()});
  Headers headers{{"baggage", "k=v"}};
  EXPECT_EQ(propagator.extract(make_map_carrier(headers), Context()).baggage("k"), "v");
}

// A propagator written before extract_into existed: it overrides extract() only.
class TenantPropagator final : public TextMapPropagator {
 public:
  void inject(const Context&, TextMapCarrier& carrier) const noexcept override { carrier.set("x-tenant", "t1"); }
  Context extract(const TextMapCarrier& carrier, const Context& base) const noexcept override {
    const auto tenant = carrier.get("x-tenant");
    return tenant ? base.with_baggage("tenant", *tenant) : base;
  }
  std::vector<std::string> fields() const override { return {"x-tenant"}; }
};

TEST(CompositePropagatorTest, APropagatorThatOverridesOnlyExtractBuildsOnWhatTheOthersExtracted) {
  const CompositePropagator propagator({std::make_shared<TraceContextPropagator>(),
                                        std::make_shared<BaggagePropagator>(), std::make_shared<TenantPropagator>()});
  Headers headers{{"traceparent", kTraceparent}, {"baggage", "k=v"}, {"x-tenant", "t1"}};
  const Context received = propagator.extract(make_map_carrier(headers), Context());
  EXPECT_EQ(received.span_context().trace_id().to_hex(), kTraceId);
  EXPECT_TRUE(received.span_context().is_remote());
  EXPECT_EQ(received.baggage("k"), "v");
  EXPECT_EQ(received.baggage("tenant"), "t1");
}

// Extracting onto a base: the remote parent replaces the base's span, the base's baggage stays
// (merged with the inbound), and the base itself is unchanged.
TEST(CompositePropagatorTest, ExtractOntoABaseReplacesItsParentKeepsItsBaggageAndLeavesItUnchanged) {
  const Context base = Context().with_span_context(local_context()).with_baggage("mine", "1");
  const std::string base_span_id = base.span_context().span_id().to_hex();
  Headers headers{{"traceparent", kTraceparent}, {"baggage", "k=v"}};
  const Context received = make_default_propagator()->extract(make_map_carrier(headers), base);
  EXPECT_EQ(received.span_context().trace_id().to_hex(), kTraceId);
  EXPECT_TRUE(received.span_context().is_remote());
  EXPECT_EQ(received.baggage("mine"), "1");
  EXPECT_EQ(received.baggage("k"), "v");
  EXPECT_EQ(base.span_context().span_id().to_hex(), base_span_id);
  EXPECT_FALSE(base.span_context().is_remote());
  EXPECT_EQ(base.baggage("k"), std::nullopt);
}

// --- OTEL_PROPAGATORS ----------------------------------------------------------------------

// Restores OTEL_PROPAGATORS after each test and captures diagnostics.
class PropagatorFromEnvTest : public ::testing::Test {
 protected:
  // The headers the propagator built from `value` (nullopt: unset) writes for a full context.
  Headers injected_with(const std::optional<std::string>& value) {
    env_.set("OTEL_PROPAGATORS", value ? value->c_str() : nullptr);
    const auto propagator = propagator_from_env();
    Headers headers;
    if (!propagator) return headers;
    auto carrier = make_map_carrier(headers);
    const auto state = std::make_shared<const TraceState>(TraceState(Members{{"foo", "1"}}));
    propagator->inject(Context().with_span_context(local_context(TraceFlags::kSampled, state)).with_baggage("k", "v"),
                       carrier);
    return headers;
  }

  test::ScopedEnv env_;
  test::DiagnosticsCapture diagnostics_;
};

TEST_F(PropagatorFromEnvTest, TracecontextOnly) {
  const Headers headers = injected_with("tracecontext");
  EXPECT_EQ(header_of(headers, "traceparent"), kTraceparent);
  EXPECT_EQ(header_of(headers, "tracestate"), "foo=1");
  EXPECT_FALSE(header_of(headers, "baggage").has_value());
}

TEST_F(PropagatorFromEnvTest, BaggageOnly) {
  const Headers headers = injected_with("baggage");
  EXPECT_EQ(header_of(headers, "baggage"), "k=v");
  EXPECT_FALSE(header_of(headers, "traceparent").has_value());
}

TEST_F(PropagatorFromEnvTest, NoneWritesNothing) { EXPECT_TRUE(injected_with("none").empty()); }

TEST_F(PropagatorFromEnvTest, NoneExtractsNothing) {
  env_.set("OTEL_PROPAGATORS", "none");
  Headers headers{{"traceparent", kTraceparent}, {"baggage", "k=v"}};
  const Context received = propagator_from_env()->extract(make_map_carrier(headers), Context());
  EXPECT_FALSE(received.span_context().is_valid());
  EXPECT_FALSE(received.baggage("k").has_value());
}

TEST_F(PropagatorFromEnvTest, UnsupportedNameIsSkippedWithDiagnostic) {
  const Headers headers = injected_with("tracecontext,b3");
  EXPECT_EQ(header_of(headers, "traceparent"), kTraceparent);
  EXPECT_FALSE(header_of(headers, "baggage").has_value());
  EXPECT_FALSE(header_of(headers, "b3").has_value());
  EXPECT_TRUE(diagnostics_.mentions("b3"));
}

TEST_F(PropagatorFromEnvTest, UnsetMeansTracecontextAndBaggage) {
  const Headers headers = injected_with(std::nullopt);
  EXPECT_EQ(header_of(headers, "traceparent"), kTraceparent);
  EXPECT_EQ(header_of(headers, "baggage"), "k=v");
}

TEST_F(PropagatorFromEnvTest, EmptyMeansTracecontextAndBaggage) {
  // OTel SDK environment variables: an empty value is interpreted as unset.
  const Headers headers = injected_with("");
  EXPECT_EQ(header_of(headers, "traceparent"), kTraceparent);
  EXPECT_EQ(header_of(headers, "baggage"), "k=v");
}

TEST_F(PropagatorFromEnvTest, ToleratesSpacesAroundNames) {
  const Headers headers = injected_with(" baggage , tracecontext ");
  EXPECT_EQ(header_of(headers, "traceparent"), kTraceparent);
  EXPECT_EQ(header_of(headers, "baggage"), "k=v");
}

TEST_F(PropagatorFromEnvTest, PassesThePolicyToTheBaggagePropagator) {
  env_.set("OTEL_PROPAGATORS", "baggage");
  InboundBaggagePolicy policy;
  policy.trust_inbound_routing = true;
  Headers headers{{"baggage", "project=p"}};
  EXPECT_EQ(propagator_from_env(policy)->extract(make_map_carrier(headers), Context()).baggage("project"), "p");
}

// --- inject_current / extract_onto_current -------------------------------------------------

TEST(CurrentContextTest, InjectCurrentWritesTheAttachedContext) {
  const Scope scope(Context().with_span_context(local_context()).with_baggage("k", "v"));
  Headers headers;
  auto carrier = make_map_carrier(headers);
  inject_current(carrier);
  EXPECT_EQ(header_of(headers, "traceparent"), kTraceparent);
  EXPECT_EQ(header_of(headers, "baggage"), "k=v");
}

TEST(CurrentContextTest, InjectCurrentWritesNothingWhenNothingIsAttached) {
  Headers headers;
  auto carrier = make_map_carrier(headers);
  inject_current(carrier);
  EXPECT_TRUE(headers.empty());
}

TEST(CurrentContextTest, ExtractOntoCurrentAddsTheRemoteParentAndKeepsCurrentBaggage) {
  const Scope scope(Context().with_baggage("local", "1"));
  Headers headers{{"traceparent", kTraceparent}, {"baggage", "remote=2"}};
  const Context received = extract_onto_current(make_map_carrier(headers));
  EXPECT_EQ(received.span_context().trace_id().to_hex(), kTraceId);
  EXPECT_TRUE(received.span_context().is_remote());
  EXPECT_EQ(received.baggage("local"), "1");
  EXPECT_EQ(received.baggage("remote"), "2");
}

TEST(CurrentContextTest, ExtractOntoCurrentAppliesTheDefaultPolicy) {
  Headers headers{{"baggage", "project=other,session_id=abc"}};
  const Context received = extract_onto_current(make_map_carrier(headers));
  EXPECT_FALSE(received.baggage("project").has_value());
  EXPECT_EQ(received.baggage("session_id"), "abc");
}

TEST(CurrentContextTest, ExtractOntoCurrentDoesNotAttachTheResult) {
  Headers headers{{"traceparent", kTraceparent}};
  (void)extract_onto_current(make_map_carrier(headers));
  EXPECT_FALSE(Context::current().span_context().is_valid());
}

}  // namespace
}  // namespace honeyhive
