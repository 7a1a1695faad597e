// fork(): the parent keeps working, the child gets an empty processor with its own export thread
// and its own id sequence, and no span is exported twice.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "core/sanitizers.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "lifecycle/lifecycle_support.hpp"
#include "support/http_test_helpers.hpp"

namespace honeyhive {
namespace {

// Under ThreadSanitizer the tests whose fork child starts a thread (its export thread) skip: TSan
// ends such a child of a multi-threaded process ("starting new threads after multi-threaded fork is
// not supported"). They run in the plain and AddressSanitizer builds.

TEST(ForkTest, ParentAndChildEachExportTheirOwnSpansOnce) {
  if (detail::kThreadSanitizer)
    GTEST_SKIP() << "ThreadSanitizer cannot run a child that starts a thread after a multi-threaded fork";
  const std::string file = test::temp_path("hh-fork");
  TracerConfig config;
  config.project = "fork";
  config.api_key = null;
  config.otlp_endpoint = null;
  config.start_session = false;
  TracerOptions options;
  options.exporter = std::make_unique<test::PidFileExporter>(file);
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  { Span warm = tracer->start_span("parent_before", EventType::tool); }
  ASSERT_TRUE(tracer->flush(std::chrono::milliseconds(10000)));  // the export thread is running
  for (int i = 0; i < 20; ++i) Span span = tracer->start_span("parent_pending", EventType::tool);  // queued

  const pid_t child = ::fork();
  if (child == 0) {
    // The child: its own spans, its own export thread (started lazily), then a clean exit.
    for (int i = 0; i < 10; ++i) Span span = tracer->start_span("child", EventType::tool);
    const bool flushed = tracer->flush(std::chrono::milliseconds(10000));
    const bool shut = tracer->shutdown(std::chrono::milliseconds(10000));
    std::_Exit(flushed && shut ? 0 : 1);
  }
  ASSERT_GT(child, 0);
  int status = 0;
  test::with_watchdog("fork child", std::chrono::seconds(120), [&] { ::waitpid(child, &status, 0); });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  // The parent still works after the fork.
  for (int i = 0; i < 5; ++i) Span span = tracer->start_span("parent_after", EventType::tool);
  ASSERT_TRUE(tracer->flush(std::chrono::milliseconds(10000)));
  tracer->shutdown();

  const auto lines = test::read_pid_file(file);
  std::remove(file.c_str());
  std::map<std::string, std::set<int>> pids_by_name;
  std::map<std::string, int> count_by_name;
  std::set<std::string> span_ids;
  for (const auto& line : lines) {
    pids_by_name[line.name].insert(line.pid);
    ++count_by_name[line.name];
    span_ids.insert(line.span_id);
  }
  EXPECT_EQ(count_by_name["parent_before"], 1);
  EXPECT_EQ(count_by_name["parent_pending"], 20);  // by the parent only, never again by the child
  EXPECT_EQ(count_by_name["child"], 10);
  EXPECT_EQ(count_by_name["parent_after"], 5);
  EXPECT_EQ(pids_by_name["parent_pending"], std::set<int>{static_cast<int>(::getpid())});
  EXPECT_EQ(pids_by_name["child"], std::set<int>{static_cast<int>(child)});
  // Child and parent did not continue one id sequence: every span id is distinct.
  EXPECT_EQ(span_ids.size(), lines.size());
}

}  // namespace
}  // namespace honeyhive

namespace honeyhive {
namespace {

// Other threads keep starting spans (taking the tracer's locks) while the main thread forks: no
// child may inherit a lock held by a thread it does not have.
TEST(ForkTest, ForkingWhileOtherThreadsTraceNeverLeavesTheChildALockedLock) {
  // Not the SDK's locks: GCC 12's AddressSanitizer allocator does not take its own lock around
  // fork(), so a child can inherit it held by a thread that was allocating (seen with gdb in
  // SizeClassAllocator64::GetFromAllocator). The plain build runs this test.
  if (detail::kAddressSanitizer)
    GTEST_SKIP() << "the sanitizer's allocator is not fork-safe while other threads allocate";
  if (detail::kThreadSanitizer)
    GTEST_SKIP() << "ThreadSanitizer cannot run a child that starts a thread after a multi-threaded fork";
  TracerConfig config;
  config.project = "fork-busy";
  config.api_key = null;
  config.otlp_endpoint = null;
  TracerOptions options;
  options.exporter = std::make_unique<test::CallbackExporter>(nullptr);
  options.diagnostics = DiagnosticSink::off();
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  // Every thread exists and runs before the first fork (the export thread included): forking while
  // another thread is still being created is out of scope (under ASan the child can inherit the
  // sanitizer's own thread-registry lock).
  { Span warm = tracer->start_span("warm", EventType::tool); }
  ASSERT_TRUE(tracer->flush(std::chrono::milliseconds(10000)));
  std::atomic<bool> stop{false};
  std::atomic<int> running{0};
  std::vector<std::thread> busy;
  for (int t = 0; t < 2; ++t) {
    busy.emplace_back([&] {
      running.fetch_add(1);
      while (!stop.load()) {
        Span span = tracer->start_span("busy", EventType::tool);
        (void)tracer->session_id();
      }
    });
  }
  while (running.load() < 2) std::this_thread::yield();
  int hung_or_failed = 0;
  for (int i = 0; i < 100; ++i) {
    const pid_t child = ::fork();
    if (child == 0) {
      ::alarm(20);  // a child that hangs dies of SIGALRM instead
      { Span span = tracer->start_span("child", EventType::tool); }
      (void)tracer->session_id();
      const bool ok = tracer->flush(std::chrono::milliseconds(5000));
      std::_Exit(ok ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ++hung_or_failed;
      ADD_FAILURE() << "fork child " << i << ": "
                    << (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                          : "killed by signal " + std::to_string(WTERMSIG(status)));
    }
  }
  stop = true;
  for (auto& thread : busy) thread.join();
  EXPECT_EQ(hung_or_failed, 0);
}

}  // namespace
}  // namespace honeyhive

namespace honeyhive {
namespace {

// A fork while the parent's export thread is inside an OTLP request (holding the exporter's and the
// HTTP client's locks, on a keep-alive connection): the child still exports, on its own connection.
TEST(ForkTest, AChildForkedDuringAnExportInFlightExportsOnItsOwn) {
  if (detail::kThreadSanitizer)
    GTEST_SKIP() << "ThreadSanitizer cannot run a child that starts a thread after a multi-threaded fork";
  std::atomic<int> seen{0};
  test::RecordingServer server([&](const tools::HttpRequest&) {
    tools::HttpResponse response;
    if (seen.fetch_add(1) == 0) response.delay_ms = 3000;  // the parent's first export hangs a while
    return response;
  });
  ASSERT_TRUE(server.ok());
  TracerConfig config;
  config.project = "fork-otlp";
  config.api_key = null;
  config.otlp_endpoint = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/traces";
  config.start_session = false;
  TracerOptions options;
  options.diagnostics = DiagnosticSink::off();
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  { Span span = tracer->start_span("parent", EventType::tool); }
  std::thread flusher([&] { tracer->flush(std::chrono::milliseconds(10000)); });  // the export starts
  ASSERT_TRUE(server.wait_for_requests(1));                                       // and is in flight now
  const pid_t child = ::fork();
  if (child == 0) {
    ::alarm(30);
    { Span span = tracer->start_span("child", EventType::tool); }
    std::_Exit(tracer->flush(std::chrono::milliseconds(10000)) ? 0 : 1);
  }
  int status = 0;
  test::with_watchdog("child forked during an export", std::chrono::seconds(60), [&] { ::waitpid(child, &status, 0); });
  flusher.join();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_GE(server.requests().size(), 2U);  // the parent's and the child's
}

}  // namespace
}  // namespace honeyhive
