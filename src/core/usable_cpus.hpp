#pragma once

// How many CPUs this process may keep busy at once (internal).
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace honeyhive::detail {

// The CPUs the calling thread may run on (its affinity mask, inherited by threads it starts),
// further bounded by the CPU quotas of this process's cgroup and of every cgroup above it (cgroup
// v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us), rounded down and at least 1. Reads
// files: not for a hot path.
std::size_t usable_cpus() noexcept;

// The whole CPUs a cgroup v2 cpu.max line grants ("QUOTA PERIOD", in microseconds), at least 1;
// none for "max PERIOD" (no quota) or a line that is not of that form.
std::optional<std::size_t> cpus_of_cpu_max(std::string_view line) noexcept;

// This process's cgroup paths, from the text of /proc/self/cgroup: the v2 one ("0::/a/b") and the
// v1 hierarchy whose controllers include cpu ("4:cpu,cpuacct:/a/b"), with those controllers (the
// name of its directory under /sys/fs/cgroup).
struct CgroupPaths {
  std::optional<std::string> v2;
  std::optional<std::string> v1_cpu;
  std::string v1_cpu_controllers;
};
CgroupPaths cgroup_paths(std::string_view proc_self_cgroup);

// The least of the quotas (whole CPUs) that `quota_at` gives for `path` ("/a/b") and each cgroup
// above it ("/a", then "" for the root); none when no cgroup on the way has one.
std::optional<std::size_t> least_quota_up(
    std::string path, const std::function<std::optional<std::size_t>(const std::string&)>& quota_at);

}  // namespace honeyhive::detail
