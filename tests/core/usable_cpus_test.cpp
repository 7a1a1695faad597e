// How many CPUs the process may keep busy (core/usable_cpus.hpp): what the batch processor's export
// thread checks before it stays awake between batches.
#include "core/usable_cpus.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <cstddef>
#include <optional>

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
