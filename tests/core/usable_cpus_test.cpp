// How many CPUs the process may keep busy (core/usable_cpus.hpp): what the batch processor's export
// thread checks before it stays awake between batches.
#include "core/usable_cpus.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace honeyhive {
namespace {

TEST(UsableCpusTest, ACgroupQuotaGrantsItsWholeCpusAndAtLeastOne) {
  EXPECT_EQ(detail::cpus_of_cpu_max("200000 100000"), std::optional<std::size_t>(2));
  EXPECT_EQ(detail::cpus_of_cpu_max("250000 100000\n"), std::optional<std::size_t>(2));  // rounded down
  EXPECT_EQ(detail::cpus_of_cpu_max("50000 100000"), std::optional<std::size_t>(1));     // half a CPU: one
  EXPECT_EQ(detail::cpus_of_cpu_max("1 100000"), std::optional<std::size_t>(1));
}

TEST(UsableCpusTest, NoQuotaOrAMalformedLineGrantsNothing) {
  EXPECT_EQ(detail::cpus_of_cpu_max("max 100000"), std::nullopt);
  EXPECT_EQ(detail::cpus_of_cpu_max("max 100000\n"), std::nullopt);
  EXPECT_EQ(detail::cpus_of_cpu_max(""), std::nullopt);
  EXPECT_EQ(detail::cpus_of_cpu_max("100000"), std::nullopt);
  EXPECT_EQ(detail::cpus_of_cpu_max("100000 0"), std::nullopt);
  EXPECT_EQ(detail::cpus_of_cpu_max("-1 100000"), std::nullopt);
  EXPECT_EQ(detail::cpus_of_cpu_max("abc def"), std::nullopt);
}

TEST(UsableCpusTest, TheCgroupPathsComeFromProcSelfCgroup) {
  const auto v2_only = detail::cgroup_paths("0::/system.slice/app.service\n");
  EXPECT_EQ(v2_only.v2, std::optional<std::string>("/system.slice/app.service"));
  EXPECT_EQ(v2_only.v1_cpu, std::nullopt);

  const auto hybrid =
      detail::cgroup_paths("12:cpuacct:/x\n4:cpu,cpuacct:/kubepods/pod1/ctr\n3:memory:/kubepods/pod1/ctr\n0::/\n");
  EXPECT_EQ(hybrid.v1_cpu, std::optional<std::string>("/kubepods/pod1/ctr"));  // not cpuacct's
  EXPECT_EQ(hybrid.v1_cpu_controllers, "cpu,cpuacct");
  EXPECT_EQ(hybrid.v2, std::optional<std::string>("/"));

  const auto malformed = detail::cgroup_paths("garbage\n5:cpu\n0::relative\n");
  EXPECT_EQ(malformed.v1_cpu, std::nullopt);
  EXPECT_EQ(malformed.v2, std::nullopt);
}

TEST(UsableCpusTest, TheLeastQuotaOfTheCgroupAndItsAncestorsCounts) {
  const std::map<std::string, std::size_t> quotas = {{"/kubepods/pod1", 2}, {"", 8}};
  const auto quota_at = [&](const std::string& dir) -> std::optional<std::size_t> {
    const auto found = quotas.find(dir);
    if (found == quotas.end()) return std::nullopt;
    return found->second;
  };
  // The container's own cgroup has no quota; its pod's does.
  EXPECT_EQ(detail::least_quota_up("/kubepods/pod1/ctr", quota_at), std::optional<std::size_t>(2));
  EXPECT_EQ(detail::least_quota_up("/other", quota_at), std::optional<std::size_t>(8));  // the root's
  EXPECT_EQ(detail::least_quota_up("/", quota_at), std::optional<std::size_t>(8));
  const auto none = [](const std::string&) -> std::optional<std::size_t> { return std::nullopt; };
  EXPECT_EQ(detail::least_quota_up("/a/b", none), std::nullopt);
  std::vector<std::string> visited;
  (void)detail::least_quota_up("/a/b/", [&](const std::string& dir) -> std::optional<std::size_t> {
    visited.push_back(dir);
    return std::nullopt;
  });
  EXPECT_EQ(visited, (std::vector<std::string>{"/a/b", "/a", ""}));
}

TEST(UsableCpusTest, AtLeastOneAndNoMoreThanTheAffinityMaskAllows) {
  const std::size_t cpus = detail::usable_cpus();
  EXPECT_GE(cpus, 1U);
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_LE(cpus, static_cast<std::size_t>(CPU_COUNT(&set)));
}

}  // namespace
}  // namespace honeyhive
