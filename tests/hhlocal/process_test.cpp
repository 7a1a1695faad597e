// hh-local as a process: the startup line, a clean stop on SIGTERM, and nothing acknowledged lost
// when the process is killed (kill -9) and restarted on the same database.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "hhlocal_support.hpp"
#include "honeyhive/export/otlp_http_exporter.hpp"
#include "honeyhive/transport/http_client.hpp"

namespace honeyhive::hhlocal {
namespace {

using json = nlohmann::json;

// hh-local started as a child process on an ephemeral port; SIGKILLed on destruction if still running.
class HhLocalProcess {
 public:
  explicit HhLocalProcess(const std::string& db) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      ::execl(HH_LOCAL_BINARY, HH_LOCAL_BINARY, "--port", "0", "--db", db.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    output_ = ::fdopen(out[0], "r");
    char line[512];
    if (output_ != nullptr && std::fgets(line, sizeof(line), output_) != nullptr) first_line_ = line;
    const auto port = first_line_.find("127.0.0.1:");
    if (port != std::string::npos) port_ = std::stoi(first_line_.substr(port + 10));
  }
  ~HhLocalProcess() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    if (output_ != nullptr) std::fclose(output_);
  }

  int port() const { return port_; }
  const std::string& first_line() const { return first_line_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  void signal(int number) { ::kill(pid_, number); }
  // The exit status as waitpid gives it.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    waited_ = true;
    return status;
  }
  std::string rest_of_output() {
    std::string text;
    char buffer[256];
    while (output_ != nullptr && std::fgets(buffer, sizeof(buffer), output_) != nullptr) text += buffer;
    return text;
  }

 private:
  pid_t pid_ = -1;
  FILE* output_ = nullptr;
  std::string first_line_;
  int port_ = 0;
  bool waited_ = false;
};

json get(const std::string& url) {
  auto client = make_curl_http_client();
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.timeout = std::chrono::milliseconds(5000);
  const HttpResponse response = client->send(request);
  EXPECT_EQ(response.status, 200) << url << " " << response.error;
  return json::parse(response.body, nullptr, false);
}

TEST(HhLocalProcess, PrintsWhereItListensAndStopsCleanlyOnSigterm) {
  test::TempDatabase database;
  HhLocalProcess process(database.path());
  ASSERT_GT(process.port(), 0) << process.first_line();
  EXPECT_EQ(process.first_line(), "hh-local listening on http://127.0.0.1:" + std::to_string(process.port()) +
                                      " (db: " + database.path() + ")\n");
  EXPECT_EQ(get(process.url("/api/health"))["status"], "ok");
  process.signal(SIGTERM);
  const int status = process.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(process.rest_of_output().find("stopping"), std::string::npos);
}

TEST(HhLocalProcess, NothingAcknowledgedIsLostWhenTheProcessIsKilled) {
  test::TempDatabase database;
  constexpr int kSpans = 300;
  {
    HhLocalProcess process(database.path());
    ASSERT_GT(process.port(), 0) << process.first_line();
    OtlpHttpExporterOptions options;
    options.endpoint = process.url("/v1/traces");
    OtlpHttpExporter exporter(options);
    for (int batch = 0; batch < 3; ++batch) {
      std::vector<SpanDataPtr> spans;
      for (int i = 0; i < kSpans / 3; ++i) {
        char span_hex[17];
        std::snprintf(span_hex, sizeof(span_hex), "%016x", batch * 1000 + i + 1);
        spans.push_back(test::make_span("0102030405060708090a0b0c0d0e0f10", span_hex, "", "acknowledged", 1, 2,
                                        {{"honeyhive.session_id", std::string("durable")}}));
      }
      ASSERT_EQ(exporter.export_spans(spans), ExportResult::success);  // hh-local answered 200
    }
    process.signal(SIGKILL);
    const int status = process.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  HhLocalProcess restarted(database.path());
  ASSERT_GT(restarted.port(), 0) << restarted.first_line();
  const json session = get(restarted.url("/api/sessions/durable"));
  EXPECT_EQ(session["session"]["span_count"], kSpans);
  EXPECT_EQ(session["spans"].size(), static_cast<std::size_t>(kSpans));
}

}  // namespace
}  // namespace honeyhive::hhlocal
