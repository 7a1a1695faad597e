#include "core/usable_cpus.hpp"

#include <sched.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

#include "core/env.hpp"

namespace honeyhive::detail {
namespace {

std::optional<std::string> first_line(const char* path) {
  std::ifstream file(path);
  std::string line;
  if (!file || !std::getline(file, line)) return std::nullopt;
  return line;
}

std::optional<std::size_t> whole_cpus(std::uint64_t quota, std::uint64_t period) noexcept {
  if (period == 0) return std::nullopt;
  const std::uint64_t cpus = quota / period;
  return static_cast<std::size_t>(cpus > 0 ? cpus : 1);
}

std::optional<std::size_t> cgroup_v1_cpus() {
  const auto quota = first_line("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  const auto period = first_line("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  if (!quota || !period) return std::nullopt;
  const auto q = parse_unsigned(*quota);  // -1 (no quota) does not parse
  const auto p = parse_unsigned(*period);
  if (!q || !p) return std::nullopt;
  return whole_cpus(*q, *p);
}

}  // namespace

std::optional<std::size_t> cpus_of_cpu_max(std::string_view line) noexcept {
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto quota = parse_unsigned(line.substr(0, space));  // "max" does not parse
  const auto period = parse_unsigned(line.substr(space + 1));
  if (!quota || !period) return std::nullopt;
  return whole_cpus(*quota, *period);
}

std::size_t usable_cpus() noexcept {
  std::size_t cpus = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = static_cast<std::size_t>(CPU_COUNT(&set));
  if (cpus == 0) cpus = std::thread::hardware_concurrency();
  if (cpus == 0) cpus = 1;
  try {
    std::optional<std::size_t> quota;
    if (const auto line = first_line("/sys/fs/cgroup/cpu.max")) {
      quota = cpus_of_cpu_max(*line);
    } else {
      quota = cgroup_v1_cpus();
    }
    if (quota && *quota < cpus) cpus = *quota;
  } catch (...) {
    // Unreadable: the affinity alone.
  }
  return cpus;
}

}  // namespace honeyhive::detail
