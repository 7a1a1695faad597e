#include "honeyhive/export/otlp_proto.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "support/in_memory_provider.hpp"
#include "support/otlp_bytes.hpp"

namespace honeyhive {
namespace {

// --- protoc, the independent decoder --------------------------------------------------------

struct ProtocResult {
  int exit_code = -1;
  std::string out;  // stdout: text format for --decode, bytes for --encode
};

std::string unique_temp_path(const char* tag) {
  static std::atomic<int> counter{0};
  return ::testing::TempDir() + "honeyhive_otlp_proto_" + std::to_string(::getpid()) + "_" +
         std::to_string(counter.fetch_add(1)) + "_" + tag;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// Runs protoc with `mode` (e.g. "--decode=honeyhive.test.ExportTraceServiceRequest") on `input`.
ProtocResult run_protoc([[maybe_unused]] const std::string& mode, [[maybe_unused]] const std::string& input) {
  ProtocResult result;
#ifdef HONEYHIVE_PROTOC
  const std::string in_path = unique_temp_path("in");
  const std::string out_path = unique_temp_path("out");
  const std::string err_path = unique_temp_path("err");
  write_file(in_path, input);
  const std::string command = std::string("'") + HONEYHIVE_PROTOC + "' " + mode + " --proto_path='" +
                              HONEYHIVE_OTLP_TEST_PROTO_DIR + "' otlp_trace_subset.proto < '" + in_path + "' > '" +
                              out_path + "' 2> '" + err_path + "'";
  const int status = std::system(command.c_str());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out_path);
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
#endif
  return result;
}

ProtocResult decode_request(const std::string& bytes) {
  return run_protoc("--decode=honeyhive.test.ExportTraceServiceRequest", bytes);
}

// The trimmed lines of `text` that start with one of `prefixes` (a structural summary).
std::vector<std::string> select_lines(const std::string& text, std::initializer_list<const char*> prefixes) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto begin = line.find_first_not_of(' ');
    if (begin == std::string::npos) continue;
    const std::string trimmed = line.substr(begin);
    for (const char* prefix : prefixes) {
      if (trimmed.rfind(prefix, 0) == 0) {
        out.push_back(trimmed);
        break;
      }
    }
  }
  return out;
}

std::size_t count_lines_equal_to(const std::string& text, const std::string& wanted) {
  std::size_t count = 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line == wanted) ++count;
  }
  return count;
}

// --- deterministic spans --------------------------------------------------------------------

// Lowercase hex of `text`: ids whose bytes are printable ASCII read plainly in protoc's output.
std::string hex_of(const std::string& text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4U];
    out += kDigits[byte & 0x0FU];
  }
  return out;
}

TraceId trace_id_of(const std::string& sixteen_chars) { return *TraceId::from_hex(hex_of(sixteen_chars)); }
SpanId span_id_of(const std::string& eight_chars) { return *SpanId::from_hex(hex_of(eight_chars)); }

using test::make_resource;
using test::make_scope;

// A finished, sampled root span, built directly (no tracer).
std::shared_ptr<SpanData> make_plain_span(const std::string& name, const std::shared_ptr<const Resource>& resource,
                                          const std::shared_ptr<const InstrumentationScope>& scope) {
  auto span = std::make_shared<SpanData>();
  span->context =
      SpanContext(trace_id_of("trace-id-0000001"), span_id_of("span-id1"), TraceFlags{TraceFlags::kSampled}, false);
  span->name = name;
  span->start_unix_nanos = 1000;
  span->end_unix_nanos = 2000;
  span->resource = resource;
  span->scope = scope;
  return span;
}

constexpr UnixNanos kStart = 1700000000000000001ULL;
constexpr UnixNanos kEnd = 1700000000500000002ULL;
constexpr UnixNanos kEventTime = 1700000000100000003ULL;

// One span with every OTLP field set, recorded through the real tracer with small limits so each
// dropped count is non-zero; its random span id is then replaced by a fixed one.
SpanDataPtr make_full_span() {
  ProviderOptions options;
  options.resource = Resource(Attributes{{"service.name", AttributeValue{std::string("checkout-service")}}});
  options.limits = SpanLimits{};
  options.limits.attribute_count = 10;
  options.limits.event_count = 1;
  options.limits.event_attribute_count = 1;
  options.limits.link_count = 1;
  options.limits.link_attribute_count = 1;
  const test::InMemoryProvider traced = test::make_in_memory_provider(std::move(options), "honeyhive.test", "1.2.3");

  auto parent_state =
      std::make_shared<const TraceState>(std::vector<TraceState::Member>{{"vendor", "abc"}, {"other", "x"}});
  const SpanContext remote_parent(trace_id_of("trace-id-0000001"), span_id_of("parent01"),
                                  TraceFlags{TraceFlags::kSampled}, true, parent_state);
  StartSpanOptions start;
  start.kind = SpanKind::server;
  start.parent = Context().with_span_context(remote_parent);
  start.start_unix_nanos = kStart;
  {
    Span span = traced.tracer->start_span("checkout", start);
    span.set_attribute("bool.true", true);
    span.set_attribute("bool.false", false);
    span.set_attribute("int", -42);
    span.set_attribute("int.zero", 0);
    span.set_attribute("double", 1.5);
    span.set_attribute("string", "hello");
    span.set_attribute("bools", std::vector<bool>{true, false});
    span.set_attribute("ints", std::vector<std::int64_t>{7, -8});
    span.set_attribute("doubles", std::vector<double>{0.25, -2.5});
    span.set_attribute("strings", std::vector<std::string>{"x", "y"});
    span.set_attribute("over.the.limit", 1);
    span.add_event("retry",
                   {{"attempt", AttributeValue{std::int64_t{2}}}, {"extra", AttributeValue{std::string("cut")}}},
                   kEventTime);
    span.add_event("over.the.event.limit", {}, kEventTime + 1);
    auto link_state = std::make_shared<const TraceState>(std::vector<TraceState::Member>{{"lk", "1"}});
    const SpanContext link_target(trace_id_of("link-trace-00001"), span_id_of("linkspan"),
                                  TraceFlags{TraceFlags::kSampled | TraceFlags::kRandom}, true, link_state);
    span.add_link(link_target, {{"link.kind", AttributeValue{std::string("follows")}}, {"cut", AttributeValue{true}}});
    span.add_link(link_target, {});
    span.set_status(StatusCode::error, "boom: failed");
    span.end(kEnd);
  }
  const auto finished = traced.exporter->spans();
  if (finished.size() != 1) return nullptr;
  auto copy = std::make_shared<SpanData>(*finished[0]);
  copy->context = SpanContext(copy->context.trace_id(), span_id_of("span-id1"), copy->context.flags(),
                              copy->context.is_remote(), copy->context.trace_state_ptr());
  return copy;
}

class OtlpProtoTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef HONEYHIVE_PROTOC
    GTEST_SKIP() << "protoc was not found at configure time";
#endif
  }
};

// --- every field ----------------------------------------------------------------------------

TEST_F(OtlpProtoTest, ProtocDecodesEveryFieldOfAFullSpan) {
  const SpanDataPtr span = make_full_span();
  ASSERT_NE(span, nullptr);
  const ProtocResult decoded = decode_request(test::proto_of({span}));
  ASSERT_EQ(decoded.exit_code, 0);
  // Span.flags 769 = 0x301: W3C sampled | "has is_remote" | "parent is remote".
  // Link.flags 771 = 0x303: sampled + random | "has is_remote" | "target is remote".
  const std::string expected = R"(resource_spans {
  resource {
    attributes {
      key: "service.name"
      value {
        string_value: "checkout-service"
      }
    }
  }
  scope_spans {
    scope {
      name: "honeyhive.test"
      version: "1.2.3"
    }
    spans {
      trace_id: "trace-id-0000001"
      span_id: "span-id1"
      trace_state: "vendor=abc,other=x"
      parent_span_id: "parent01"
      name: "checkout"
      kind: SPAN_KIND_SERVER
      start_time_unix_nano: 1700000000000000001
      end_time_unix_nano: 1700000000500000002
      attributes {
        key: "bool.true"
        value {
          bool_value: true
        }
      }
      attributes {
        key: "bool.false"
        value {
          bool_value: false
        }
      }
      attributes {
        key: "int"
        value {
          int_value: -42
        }
      }
      attributes {
        key: "int.zero"
        value {
          int_value: 0
        }
      }
      attributes {
        key: "double"
        value {
          double_value: 1.5
        }
      }
      attributes {
        key: "string"
        value {
          string_value: "hello"
        }
      }
      attributes {
        key: "bools"
        value {
          array_value {
            values {
              bool_value: true
            }
            values {
              bool_value: false
            }
          }
        }
      }
      attributes {
        key: "ints"
        value {
          array_value {
            values {
              int_value: 7
            }
            values {
              int_value: -8
            }
          }
        }
      }
      attributes {
        key: "doubles"
        value {
          array_value {
            values {
              double_value: 0.25
            }
            values {
              double_value: -2.5
            }
          }
        }
      }
      attributes {
        key: "strings"
        value {
          array_value {
            values {
              string_value: "x"
            }
            values {
              string_value: "y"
            }
          }
        }
      }
      dropped_attributes_count: 1
      events {
        time_unix_nano: 1700000000100000003
        name: "retry"
        attributes {
          key: "attempt"
          value {
            int_value: 2
          }
        }
        dropped_attributes_count: 1
      }
      dropped_events_count: 1
      links {
        trace_id: "link-trace-00001"
        span_id: "linkspan"
        trace_state: "lk=1"
        attributes {
          key: "link.kind"
          value {
            string_value: "follows"
          }
        }
        dropped_attributes_count: 1
        flags: 771
      }
      dropped_links_count: 1
      status {
        message: "boom: failed"
        code: STATUS_CODE_ERROR
      }
      flags: 769
    }
  }
}
)";
  EXPECT_EQ(decoded.out, expected);
}

TEST_F(OtlpProtoTest, ALocalRootSpanOmitsDefaultsAndMarksItsParentAsNotRemote) {
  auto span = make_plain_span("root", make_resource("svc"), make_scope("lib", ""));
  span->kind = SpanKind::client;
  span->status.code = StatusCode::ok;
  const ProtocResult decoded = decode_request(test::proto_of({span}));
  ASSERT_EQ(decoded.exit_code, 0);
  // Flags 257 = 0x101: sampled | "has is_remote" (and not remote). No parent, no trace state,
  // no version, no dropped counts; an OK status carries no message.
  const std::string expected = R"(resource_spans {
  resource {
    attributes {
      key: "service.name"
      value {
        string_value: "svc"
      }
    }
  }
  scope_spans {
    scope {
      name: "lib"
    }
    spans {
      trace_id: "trace-id-0000001"
      span_id: "span-id1"
      name: "root"
      kind: SPAN_KIND_CLIENT
      start_time_unix_nano: 1000
      end_time_unix_nano: 2000
      status {
        code: STATUS_CODE_OK
      }
      flags: 257
    }
  }
}
)";
  EXPECT_EQ(decoded.out, expected);
}

// --- envelope -------------------------------------------------------------------------------

TEST_F(OtlpProtoTest, EmptyInputIsAnEmptyRequest) {
  const std::string bytes = test::proto_of({});
  EXPECT_TRUE(bytes.empty());
  const ProtocResult decoded = decode_request(bytes);
  ASSERT_EQ(decoded.exit_code, 0);
  EXPECT_EQ(decoded.out, "");
}

TEST_F(OtlpProtoTest, AppendsToTheOutputString) {
  const std::string alone = test::proto_of({make_plain_span("a", make_resource("svc"), make_scope("lib", "1"))});
  std::string out = "prefix";
  encode_otlp_proto({make_plain_span("a", make_resource("svc"), make_scope("lib", "1"))}, out);
  EXPECT_EQ(out, "prefix" + alone);
}

TEST_F(OtlpProtoTest, GroupsSpansByResourceThenScopeInFirstSeenOrder) {
  const auto resource_a = make_resource("service-a");
  const auto resource_b = make_resource("service-b");
  const auto scope_x = make_scope("scope-x", "1");
  const auto scope_y = make_scope("scope-y", "2");
  const std::vector<SpanDataPtr> spans = {
      make_plain_span("a-x-1", resource_a, scope_x), make_plain_span("b-x", resource_b, scope_x),
      make_plain_span("a-y", resource_a, scope_y),   make_plain_span("a-x-2", resource_a, scope_x),
      make_plain_span("b-y", resource_b, scope_y),
  };
  const ProtocResult decoded = decode_request(test::proto_of(spans));
  ASSERT_EQ(decoded.exit_code, 0);
  const std::vector<std::string> expected = {
      "resource_spans {", "string_value: \"service-a\"",
      "scope_spans {",    "name: \"scope-x\"",
      "spans {",          "name: \"a-x-1\"",
      "spans {",          "name: \"a-x-2\"",
      "scope_spans {",    "name: \"scope-y\"",
      "spans {",          "name: \"a-y\"",
      "resource_spans {", "string_value: \"service-b\"",
      "scope_spans {",    "name: \"scope-x\"",
      "spans {",          "name: \"b-x\"",
      "scope_spans {",    "name: \"scope-y\"",
      "spans {",          "name: \"b-y\"",
  };
  EXPECT_EQ(select_lines(decoded.out, {"resource_spans {", "scope_spans {", "spans {", "name:", "string_value:"}),
            expected);
}

TEST_F(OtlpProtoTest, ALargeBatchDecodesWithEverySpan) {
  const auto resource = make_resource("svc");
  const auto scope = make_scope("lib", "1");
  std::vector<SpanDataPtr> spans;
  for (int i = 0; i < 512; ++i) {
    auto span = make_plain_span("span-" + std::to_string(i), resource, scope);
    span->attributes.push_back({"index", AttributeValue{std::int64_t{i}}});
    span->attributes.push_back({"payload", AttributeValue{std::string(200, 'p')}});
    spans.push_back(std::move(span));
  }
  const ProtocResult decoded = decode_request(test::proto_of(spans));
  ASSERT_EQ(decoded.exit_code, 0);
  EXPECT_EQ(count_lines_equal_to(decoded.out, "    spans {"), 512U);
  EXPECT_EQ(count_lines_equal_to(decoded.out, "      name: \"span-511\""), 1U);
  EXPECT_EQ(count_lines_equal_to(decoded.out, "  scope_spans {"), 1U);
}

// Spans whose messages are just under and over each size where a length varint gains a byte
// (128 B and 16 KiB): a span with only ids and times, attribute and event values of 100 B to
// 20 KiB, an event with a 200 B attribute, and enough spans for a scope of more than 2 MiB.
std::vector<SpanDataPtr> make_spans_of_every_length_class() {
  const auto resource = make_resource("svc");
  const auto scope = make_scope("lib", "1");
  std::vector<SpanDataPtr> spans;
  spans.push_back(make_plain_span("", resource, scope));
  for (const std::size_t size : {100U, 126U, 127U, 128U, 129U, 16300U, 16384U, 20000U}) {
    auto span = make_plain_span("sized-" + std::to_string(size), resource, scope);
    span->attributes.push_back({"value", AttributeValue{std::string(size, 'v')}});
    span->attributes.push_back({"list", AttributeValue{std::vector<std::string>{std::string(size, 'l')}}});
    spans.push_back(std::move(span));
  }
  auto with_event = make_plain_span("with-event", resource, scope);
  with_event->events.push_back(SpanEvent{"big", 1500, {{"payload", AttributeValue{std::string(200, 'e')}}}, 0});
  spans.push_back(std::move(with_event));
  for (int i = 0; i < 130; ++i) {
    auto span = make_plain_span("bulk-" + std::to_string(i), resource, scope);
    span->attributes.push_back({"payload", AttributeValue{std::string(17000, 'p')}});
    spans.push_back(std::move(span));
  }
  return spans;
}

TEST_F(OtlpProtoTest, BytesAreCanonicalSoProtocReencodesThemIdentically) {
  // protoc writes the canonical encoding (fields in number order, minimal varints): re-encoding
  // what it decoded gives our bytes back only if every length prefix is minimal too.
  const std::vector<SpanDataPtr> spans = make_spans_of_every_length_class();
  const std::string bytes = test::proto_of(spans);
  ASSERT_GT(bytes.size(), 2U * 1024 * 1024);
  const ProtocResult decoded = decode_request(bytes);
  ASSERT_EQ(decoded.exit_code, 0);
  EXPECT_EQ(count_lines_equal_to(decoded.out, "    spans {"), spans.size());
  const ProtocResult reencoded = run_protoc("--encode=honeyhive.test.ExportTraceServiceRequest", decoded.out);
  ASSERT_EQ(reencoded.exit_code, 0);
  EXPECT_TRUE(reencoded.out == bytes) << "protoc's encoding differs (" << reencoded.out.size() << " against "
                                      << bytes.size() << " bytes)";
}

TEST_F(OtlpProtoTest, FullSpanIsCanonical) {
  const SpanDataPtr span = make_full_span();
  ASSERT_NE(span, nullptr);
  const std::string bytes = test::proto_of({span});
  const ProtocResult decoded = decode_request(bytes);
  ASSERT_EQ(decoded.exit_code, 0);
  const ProtocResult reencoded = run_protoc("--encode=honeyhive.test.ExportTraceServiceRequest", decoded.out);
  ASSERT_EQ(reencoded.exit_code, 0);
  EXPECT_TRUE(reencoded.out == bytes);
}

// --- reused buffer --------------------------------------------------------------------------

TEST_F(OtlpProtoTest, AReusedBufferHoldsTheSameBytesAsAFreshEncode) {
  const std::vector<SpanDataPtr> large = make_spans_of_every_length_class();
  const std::vector<SpanDataPtr> small = {make_full_span(),
                                          make_plain_span("b", make_resource("svc"), make_scope("lib", "1"))};
  ASSERT_NE(small[0], nullptr);
  std::string buffer = "stale bytes that must not survive";
  ASSERT_TRUE(encode_otlp_proto_reusing(small, buffer));
  EXPECT_TRUE(buffer == test::proto_of(small));
  ASSERT_TRUE(encode_otlp_proto_reusing(large, buffer));  // grows
  EXPECT_TRUE(buffer == test::proto_of(large));
  ASSERT_TRUE(encode_otlp_proto_reusing(small, buffer));  // shrinks: the large batch's bytes are gone
  EXPECT_TRUE(buffer == test::proto_of(small));
  ASSERT_TRUE(encode_otlp_proto_reusing(small, buffer));  // same size again
  EXPECT_TRUE(buffer == test::proto_of(small));
  const ProtocResult decoded = decode_request(buffer);
  ASSERT_EQ(decoded.exit_code, 0);
  EXPECT_EQ(count_lines_equal_to(decoded.out, "    spans {"), 2U);
}

TEST_F(OtlpProtoTest, AReusedBufferIsEmptiedByAnEmptyBatch) {
  std::string buffer;
  ASSERT_TRUE(encode_otlp_proto_reusing({make_plain_span("a", make_resource("svc"), make_scope("lib", "1"))}, buffer));
  ASSERT_FALSE(buffer.empty());
  ASSERT_TRUE(encode_otlp_proto_reusing({}, buffer));
  EXPECT_TRUE(buffer.empty());
  ASSERT_TRUE(encode_otlp_proto_reusing({nullptr}, buffer));  // null entries are skipped
  EXPECT_TRUE(buffer.empty());
}

TEST_F(OtlpProtoTest, NonAsciiValidUtf8IsKeptAsIs) {
  auto span = make_plain_span("caf\xc3\xa9", make_resource("svc"), make_scope("lib", "1"));
  span->attributes.push_back(
      {"cl\xc3\xa9", AttributeValue{std::string("\xe2\x82\xac 12, \xf0\x9f\x98\x80 and a longer tail")}});
  const std::string bytes = test::proto_of({span});
  EXPECT_NE(bytes.find("caf\xc3\xa9"), std::string::npos);
  EXPECT_NE(bytes.find("cl\xc3\xa9"), std::string::npos);
  EXPECT_NE(bytes.find("\xe2\x82\xac 12, \xf0\x9f\x98\x80 and a longer tail"), std::string::npos);
  EXPECT_EQ(bytes.find("\xef\xbf\xbd"), std::string::npos);  // no U+FFFD
  EXPECT_EQ(decode_request(bytes).exit_code, 0);
}

// --- strings --------------------------------------------------------------------------------

TEST_F(OtlpProtoTest, InvalidUtf8IsRepairedSoProtocAcceptsIt) {
  // Built directly: the tracer would already have repaired these; the encoder must not trust that.
  auto span = make_plain_span("bad\xff", make_resource("svc\xc3"), make_scope("lib\xed\xa0\x80", ""));
  span->attributes.push_back({"key\xc0", AttributeValue{std::string("value\xfe")}});
  span->attributes.push_back({"list", AttributeValue{std::vector<std::string>{"ok", "no\x80"}}});
  span->status = Status{StatusCode::error, "why\xf5"};
  const ProtocResult decoded = decode_request(test::proto_of({span}));
  ASSERT_EQ(decoded.exit_code, 0) << "protoc rejects invalid UTF-8 in proto3 strings";
  // U+FFFD is EF BF BD, which protoc prints as octal escapes.
  const std::string fffd = "\\357\\277\\275";
  const auto strings = select_lines(decoded.out, {"name:", "key:", "string_value:", "message:"});
  const std::vector<std::string> expected = {
      "key: \"service.name\"",
      "string_value: \"svc" + fffd + "\"",
      "name: \"lib" + fffd + fffd + fffd + "\"",  // a surrogate is three ill-formed bytes
      "name: \"bad" + fffd + "\"",
      "key: \"key" + fffd + "\"",
      "string_value: \"value" + fffd + "\"",
      "key: \"list\"",
      "string_value: \"ok\"",
      "string_value: \"no" + fffd + "\"",
      "message: \"why" + fffd + "\"",
  };
  EXPECT_EQ(strings, expected);
}

TEST_F(OtlpProtoTest, InvalidUtf8InLongStringsIsRepaired) {
  // Strings of 8 to 32 bytes and longer are copied word by word; the bad byte sits in each part.
  auto span = make_plain_span("a span name of 20 b\xff", make_resource("svc"), make_scope("lib", "1"));
  span->attributes.push_back({"a.key.of.twelve\x80", AttributeValue{std::string(40, 'x') + "\xc3"}});
  span->attributes.push_back({"ok", AttributeValue{std::string("\xfe") + std::string(39, 'y')}});
  span->events.push_back(SpanEvent{"event \xed\xa0\x80 name", 1500, {}, 0});
  const ProtocResult decoded = decode_request(test::proto_of({span}));
  ASSERT_EQ(decoded.exit_code, 0);
  const std::string fffd = "\\357\\277\\275";
  const auto strings = select_lines(decoded.out, {"name:", "key:", "string_value:"});
  const std::vector<std::string> expected = {
      "key: \"service.name\"",
      "string_value: \"svc\"",
      "name: \"lib\"",
      "name: \"a span name of 20 b" + fffd + "\"",
      "key: \"a.key.of.twelve" + fffd + "\"",
      "string_value: \"" + std::string(40, 'x') + fffd + "\"",
      "key: \"ok\"",
      "string_value: \"" + fffd + std::string(39, 'y') + "\"",
      "name: \"event " + fffd + fffd + fffd + " name\"",
  };
  EXPECT_EQ(strings, expected);
}

// --- response -------------------------------------------------------------------------------

TEST_F(OtlpProtoTest, DecodesPartialSuccessWrittenByProtoc) {
  const ProtocResult encoded = run_protoc("--encode=honeyhive.test.ExportTraceServiceResponse",
                                          "partial_success { rejected_spans: 3 error_message: \"x\" }");
  ASSERT_EQ(encoded.exit_code, 0);
  const auto response = decode_otlp_proto_response(encoded.out);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->rejected_spans, 3);
  EXPECT_EQ(response->error_message, "x");
}

TEST_F(OtlpProtoTest, TruncatedResponseIsNotAMessage) {
  const ProtocResult encoded = run_protoc("--encode=honeyhive.test.ExportTraceServiceResponse",
                                          "partial_success { rejected_spans: 3 error_message: \"xyz\" }");
  ASSERT_EQ(encoded.exit_code, 0);
  ASSERT_GT(encoded.out.size(), 1U);
  for (std::size_t length = 1; length < encoded.out.size(); ++length) {
    EXPECT_FALSE(decode_otlp_proto_response(encoded.out.substr(0, length)).has_value()) << "length " << length;
  }
}

TEST_F(OtlpProtoTest, GarbageResponseIsNotAMessage) {
  EXPECT_FALSE(decode_otlp_proto_response(std::string("\xff\xff\xff", 3)).has_value());  // unterminated varint
  EXPECT_FALSE(decode_otlp_proto_response(std::string("\x0f", 1)).has_value());          // wire type 7
  EXPECT_FALSE(decode_otlp_proto_response(std::string("\x0a\x05\x08", 3)).has_value());  // length past the end
}

// The start of a response cut short: what its complete fields say stands, the message is cut where
// the bytes end, and bytes that are malformed (not merely cut) are still not a message.
TEST_F(OtlpProtoTest, TheStartOfAResponseGivesWhatItsCompleteFieldsSay) {
  const ProtocResult encoded = run_protoc("--encode=honeyhive.test.ExportTraceServiceResponse",
                                          "partial_success { rejected_spans: 300 error_message: \"too old\" }");
  ASSERT_EQ(encoded.exit_code, 0);
  const std::string& whole = encoded.out;
  const auto full = decode_otlp_proto_response_prefix(whole);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->rejected_spans, 300);
  EXPECT_EQ(full->error_message, "too old");
  // Bytes: 0a <length> 08 ac 02 12 07 "too old". Cut inside the message, then inside the count.
  const auto cut_message = decode_otlp_proto_response_prefix(whole.substr(0, whole.size() - 3));
  ASSERT_TRUE(cut_message.has_value());
  EXPECT_EQ(cut_message->rejected_spans, 300);
  EXPECT_EQ(cut_message->error_message, "too ");
  const auto cut_count = decode_otlp_proto_response_prefix(whole.substr(0, 4));
  ASSERT_TRUE(cut_count.has_value());
  EXPECT_EQ(cut_count->rejected_spans, 0);
  EXPECT_FALSE(decode_otlp_proto_response_prefix(std::string("\x0f", 1)).has_value());              // wire type 7
  EXPECT_FALSE(decode_otlp_proto_response_prefix(std::string("\x0a\x02\x0f\x00", 4)).has_value());  // inside too
  EXPECT_FALSE(decode_otlp_proto_response(whole.substr(0, whole.size() - 3)).has_value());  // the whole-message reader
  // A partial_success complete in its length but malformed inside (a count with no value, then more
  // fields) is not "cut short".
  EXPECT_FALSE(decode_otlp_proto_response_prefix(std::string("\x0a\x03\x08\x05\x08\x12\x00", 7)).has_value());
  EXPECT_FALSE(decode_otlp_proto_response_prefix(std::string("\x0a\x04\x12\x09"
                                                             "ab\x08\x01",
                                                             7))
                   .has_value());
}

TEST_F(OtlpProtoTest, EmptyResponseMeansNothingRejected) {
  const auto response = decode_otlp_proto_response("");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->rejected_spans, 0);
  EXPECT_EQ(response->error_message, "");
}

TEST_F(OtlpProtoTest, ResponseSkipsUnknownFields) {
  const ProtocResult encoded =
      run_protoc("--encode=honeyhive.test.ExportTraceServiceResponse", "partial_success { rejected_spans: 7 }");
  ASSERT_EQ(encoded.exit_code, 0);
  // An unknown varint field 2 and an unknown length-delimited field 3 around the known one.
  const std::string bytes = std::string("\x10\x01", 2) + encoded.out + std::string("\x1a\x02zz", 4);
  const auto response = decode_otlp_proto_response(bytes);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->rejected_spans, 7);
}

}  // namespace
}  // namespace honeyhive
