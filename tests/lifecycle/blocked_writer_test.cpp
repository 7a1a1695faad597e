// The SDK's own file and console exporters when their write blocks (a FIFO without a reader, a full
// pipe or a paused terminal, a hung network file system): flush and shutdown keep their budget, and
// a fork child is not left waiting on the lock the parent's writing thread held.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "honeyhive/export/console_exporter.hpp"
#include "honeyhive/export/file_exporter.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "lifecycle/lifecycle_support.hpp"

namespace honeyhive {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Generous bounds that prove "did not wait for the write": the writer stays blocked for
// kBlockedFor, and the calls under test have budgets of 100-200 ms.
constexpr milliseconds kBlockedFor{6000};
constexpr milliseconds kWellUnderTheBlock{3000};

TracerConfig blocked_writer_config() {
  TracerConfig config;
  config.project = "blocked-writer";
  config.api_key = null;
  config.otlp_endpoint = null;
  config.hh_local_detect = false;
  config.start_session = false;
  config.lifecycle_strategy = "standard";
  return config;
}

// A FIFO at a fresh path; an exporter that opens it for writing blocks until a reader comes.
class BlockedFifo {
 public:
  explicit BlockedFifo(const char* stem) : path_(test::temp_path(stem)) {
    ::signal(SIGPIPE, SIG_IGN);
    made_ = ::mkfifo(path_.c_str(), 0600) == 0;
  }
  ~BlockedFifo() { ::unlink(path_.c_str()); }
  bool made() const { return made_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool made_ = false;
};

// Opens the FIFO for reading after `delay` (O_RDWR: never blocks), letting a blocked writer go on.
class DelayedFifoReader {
 public:
  DelayedFifoReader(const std::string& path, milliseconds delay)
      : thread_([this, path, delay] {
          std::this_thread::sleep_for(delay);
          fd_ = ::open(path.c_str(), O_RDWR | O_NONBLOCK);
        }) {}
  ~DelayedFifoReader() {
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  std::atomic<int> fd_{-1};
  std::thread thread_;
};

std::shared_ptr<HoneyHiveTracer> tracer_writing_to_file(const std::string& path) {
  TracerOptions options;
  options.exporter = std::make_unique<FileExporter>(FileExporterOptions{path, 0});
  return HoneyHiveTracer::init(blocked_writer_config(), {}, {}, {}, std::move(options));
}

milliseconds elapsed_since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// Runs `call` (a flush or a shutdown with a budget of 100-200 ms, which fails: the write cannot
// finish in time) on a tracer whose file exporter is blocked writing to a FIFO nobody reads until
// kBlockedFor has passed, and expects it to return well before then. The tracer is shut down after.
void expect_the_call_keeps_its_budget(const char* stem, const char* what,
                                      const std::function<bool(HoneyHiveTracer&)>& call) {
  const BlockedFifo fifo(stem);
  ASSERT_TRUE(fifo.made());
  auto tracer = tracer_writing_to_file(fifo.path());
  { Span span = tracer->start_span("s", EventType::tool); }
  milliseconds took{0};
  {
    const DelayedFifoReader reader(fifo.path(), kBlockedFor);
    const auto start = Clock::now();
    EXPECT_FALSE(call(*tracer)) << what;
    took = elapsed_since(start);
  }
  EXPECT_LT(took, kWellUnderTheBlock) << what << " waited for the blocked write";
  tracer->shutdown(seconds(5));
}

TEST(BlockedWriterTest, FlushKeepsItsBudgetWhileTheFileExporterIsBlocked) {
  expect_the_call_keeps_its_budget("hh-blocked-flush", "flush(100 ms)",
                                   [](HoneyHiveTracer& tracer) { return tracer.flush(milliseconds(100)); });
}

TEST(BlockedWriterTest, ShutdownKeepsItsBudgetWhileTheFileExporterIsBlocked) {
  expect_the_call_keeps_its_budget("hh-blocked-shutdown", "shutdown(200 ms)",
                                   [](HoneyHiveTracer& tracer) { return tracer.shutdown(milliseconds(200)); });
}

TEST(BlockedWriterTest, FlushKeepsItsBudgetWhileTheConsoleExporterIsBlocked) {
  ::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  // Fill the pipe: the next print blocks until the reader drains it.
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  const std::string chunk(4096, 'x');
  while (::write(fds[1], chunk.data(), chunk.size()) > 0) {
  }
  ::fcntl(fds[1], F_SETFL, 0);
  std::FILE* stream = ::fdopen(fds[1], "w");
  ASSERT_NE(stream, nullptr);
  ConsoleExporterOptions console;
  console.stream = stream;
  TracerOptions options;
  options.exporter = std::make_unique<ConsoleExporter>(console);
  auto tracer = HoneyHiveTracer::init(blocked_writer_config(), {}, {}, {}, std::move(options));
  { Span span = tracer->start_span("s", EventType::tool); }
  std::atomic<bool> stop_draining{false};
  std::thread drain([&] {
    std::this_thread::sleep_for(kBlockedFor);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    char buffer[65536];
    while (!stop_draining.load()) {
      if (::read(fds[0], buffer, sizeof(buffer)) <= 0) std::this_thread::sleep_for(milliseconds(5));
    }
  });
  const auto start = Clock::now();
  EXPECT_FALSE(tracer->flush(milliseconds(100)));
  const milliseconds took = elapsed_since(start);
  EXPECT_LT(took, kWellUnderTheBlock) << "flush(100 ms) waited for the blocked print";
  tracer->shutdown(seconds(10));
  stop_draining = true;
  drain.join();
  std::fclose(stream);
  ::close(fds[0]);
}

// A child forked while the parent's export thread is inside the file exporter (here blocked opening
// a FIFO) exports and flushes its own spans: it does not wait forever on the lock that thread held.
TEST(BlockedWriterTest, AChildForkedMidWriteStillExportsAndFlushes) {
  const BlockedFifo fifo("hh-blocked-fork");
  ASSERT_TRUE(fifo.made());
  auto tracer = tracer_writing_to_file(fifo.path());
  { Span span = tracer->start_span("parent", EventType::tool); }
  std::thread flusher([&] { tracer->flush(milliseconds(100)); });  // the export thread blocks in open()
  std::this_thread::sleep_for(milliseconds(500));
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int reader = ::open(fifo.path().c_str(), O_RDWR | O_NONBLOCK);  // the child's writes can go
    (void)reader;
    { Span span = tracer->start_span("child", EventType::tool); }
    std::_Exit(tracer->flush(seconds(2)) ? 0 : 1);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 300 && !exited; ++i) {  // up to 30 s
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(milliseconds(100));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  {
    const DelayedFifoReader reader(fifo.path(), milliseconds(0));
    flusher.join();
    tracer->shutdown(seconds(5));
  }
  ASSERT_TRUE(exited) << "the fork child hung in flush (killed after 30 s)";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child's flush failed";
}

}  // namespace
}  // namespace honeyhive
