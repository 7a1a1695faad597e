#include "core/usable_cpus.hpp"

#include <sched.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core/env.hpp"

namespace honeyhive::detail {
namespace {

std::optional<std::string> first_line(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  if (!file || !std::getline(file, line)) return std::nullopt;
  return line;
}

std::optional<std::string> whole_file(const char* path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::optional<std::size_t> whole_cpus(std::uint64_t quota, std::uint64_t period) noexcept {
  if (period == 0) return std::nullopt;
  const std::uint64_t cpus = quota / period;
  return static_cast<std::size_t>(cpus > 0 ? cpus : 1);
}

std::optional<std::size_t> v2_quota_at(const std::string& dir) {
  const auto line = first_line("/sys/fs/cgroup" + dir + "/cpu.max");
  return line ? cpus_of_cpu_max(*line) : std::nullopt;
}

std::optional<std::size_t> v1_quota_at(const std::string& mount, const std::string& dir) {
  const auto quota = first_line(mount + dir + "/cpu.cfs_quota_us");
  const auto period = first_line(mount + dir + "/cpu.cfs_period_us");
  if (!quota || !period) return std::nullopt;
  const auto q = parse_unsigned(*quota);  // -1 (no quota) does not parse
  const auto p = parse_unsigned(*period);
  if (!q || !p) return std::nullopt;
  return whole_cpus(*q, *p);
}

std::optional<std::size_t> cgroup_quota_cpus() {
  const auto text = whole_file("/proc/self/cgroup");
  if (!text) return std::nullopt;
  const CgroupPaths paths = cgroup_paths(*text);
  if (paths.v1_cpu) {
    // The v1 cpu hierarchy's mount: named after its controllers ("cpu,cpuacct"), or "cpu".
    std::string mount = "/sys/fs/cgroup/" + paths.v1_cpu_controllers;
    if (!first_line(mount + "/cpu.cfs_period_us")) mount = "/sys/fs/cgroup/cpu";
    return least_quota_up(*paths.v1_cpu, [&](const std::string& dir) { return v1_quota_at(mount, dir); });
  }
  if (paths.v2) return least_quota_up(*paths.v2, v2_quota_at);
  return std::nullopt;
}

bool has_controller(std::string_view controllers, std::string_view name) {
  while (!controllers.empty()) {
    const std::size_t comma = controllers.find(',');
    if (controllers.substr(0, comma) == name) return true;
    if (comma == std::string_view::npos) break;
    controllers.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::optional<std::size_t> cpus_of_cpu_max(std::string_view line) noexcept {
  line = trim(line);
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto quota = parse_unsigned(line.substr(0, space));  // "max" does not parse
  const auto period = parse_unsigned(line.substr(space + 1));
  if (!quota || !period) return std::nullopt;
  return whole_cpus(*quota, *period);
}

CgroupPaths cgroup_paths(std::string_view text) {
  CgroupPaths paths;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    // hierarchy-id:controllers:path (the path may itself contain ':')
    const std::size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    const std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, first);
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string_view path = line.substr(second + 1);
    if (path.empty() || path.front() != '/') continue;
    if (id == "0" && controllers.empty()) {
      paths.v2 = std::string(path);
    } else if (has_controller(controllers, "cpu")) {
      paths.v1_cpu = std::string(path);
      paths.v1_cpu_controllers = std::string(controllers);
    }
  }
  return paths;
}

std::optional<std::size_t> least_quota_up(
    std::string path, const std::function<std::optional<std::size_t>(const std::string&)>& quota_at) {
  std::optional<std::size_t> least;
  while (!path.empty() && path.back() == '/') path.pop_back();  // "/" is the root: ""
  for (;;) {
    if (const auto cpus = quota_at(path); cpus && (!least || *cpus < *least)) least = cpus;
    if (path.empty()) break;
    path.erase(path.rfind('/'));
  }
  return least;
}

std::size_t usable_cpus() noexcept {
  std::size_t cpus = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = static_cast<std::size_t>(CPU_COUNT(&set));
  if (cpus == 0) cpus = std::thread::hardware_concurrency();
  if (cpus == 0) cpus = 1;
  try {
    if (const auto quota = cgroup_quota_cpus(); quota && *quota < cpus) cpus = *quota;
  } catch (...) {
    // Unreadable: the affinity alone.
  }
  return cpus;
}

}  // namespace honeyhive::detail
