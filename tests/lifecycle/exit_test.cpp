// Programs that end with spans pending deliver them: the exit hook flushes the tracers still
// alive, whatever way the program ends and wherever the tracer lives.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "lifecycle/lifecycle_support.hpp"

namespace honeyhive {
namespace {

// honeyhive_exit_program, built next to this test executable.
std::string exit_program() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "";
  std::string path(self, static_cast<std::size_t>(n));
  path = path.substr(0, path.rfind('/') + 1) + "honeyhive_exit_program";
  return ::access(path.c_str(), X_OK) == 0 ? path : "";
}

// Runs the exit program in MODE; returns its exit status (-1 when it did not exit normally).
int run_exit_program(const std::string& mode, const std::string& file) {
  const std::string program_path = exit_program();
  const char* program = program_path.c_str();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (mode == "global") ::setenv("HH_EXIT_PROGRAM_FILE", file.c_str(), 1);
    ::execl(program, program, mode.c_str(), file.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  int status = 0;
  test::with_watchdog(("exit program, mode " + mode).c_str(), std::chrono::seconds(120),
                      [&] { ::waitpid(pid, &status, 0); });
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class ExitTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ExitTest, SpansPendingAtTheEndOfTheProgramAreDelivered) {
  ASSERT_FALSE(exit_program().empty()) << "honeyhive_exit_program is not built next to the test";
  const std::string file = test::temp_path("hh-exit");
  ASSERT_EQ(run_exit_program(GetParam(), file), 0);
  const auto lines = test::read_pid_file(file);
  std::remove(file.c_str());
  EXPECT_EQ(lines.size(), 50U);  // every span, exactly once
  for (const auto& line : lines) EXPECT_EQ(line.name, "pending");
}

INSTANTIATE_TEST_SUITE_P(WaysToEnd, ExitTest,
                         ::testing::Values("return", "exit", "exit-from-thread", "global", "global-assigned-in-main",
                                           "static-local", "static-destructor-span", "one-dead-tracer"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (auto& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(ExitInExporterTest, ExitCalledFromTheExportThreadDoesNotHang) {
  ASSERT_FALSE(exit_program().empty()) << "honeyhive_exit_program is not built next to the test";
  const std::string file = test::temp_path("hh-exit-exporter");
  EXPECT_EQ(run_exit_program("exit-in-exporter", file), 0);  // the watchdog turns a hang into a failure
}

}  // namespace
}  // namespace honeyhive
