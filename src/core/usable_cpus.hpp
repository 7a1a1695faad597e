#pragma once

// How many CPUs this process may keep busy at once (internal).
#include <cstddef>
#include <optional>
#include <string_view>

namespace honeyhive::detail {

// The CPUs this process may run on (its affinity mask), further bounded by a cgroup CPU quota
// (cgroup v2 cpu.max, else v1 cpu.cfs_quota_us / cpu.cfs_period_us), rounded down and at least 1.
// Reads files: not for a hot path.
std::size_t usable_cpus() noexcept;

// The whole CPUs a cgroup v2 cpu.max line grants ("QUOTA PERIOD", in microseconds), at least 1;
// none for "max PERIOD" (no quota) or a line that is not of that form.
std::optional<std::size_t> cpus_of_cpu_max(std::string_view line) noexcept;

}  // namespace honeyhive::detail
