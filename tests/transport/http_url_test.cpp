// The reading of http(s) URLs that every base URL goes through (src/transport/http_url.hpp).
#include "transport/http_url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace honeyhive {
namespace {

TEST(NormalizedHttpUrl, TrimsWhitespaceAndLowersTheScheme) {
  EXPECT_EQ(detail::normalized_http_url(" \tHTTPS://Host.Example:8443/Base?Q=1\r\n"),
            "https://Host.Example:8443/Base?Q=1");
  EXPECT_EQ(detail::normalized_http_url("http://[::1]:4318/v1/traces"), "http://[::1]:4318/v1/traces");
}

TEST(NormalizedHttpUrl, RefusesWhatIsNotAnHttpUrl) {
  for (const char* url : {"", "host:8443", "ftp://h/x", "https://", "https:///path", "https://:80", "https://h/a b",
                          "https://h/\x01", "https://?q=1", "//h/x"}) {
    EXPECT_FALSE(detail::normalized_http_url(url).has_value()) << url;
  }
}

TEST(AppendUrlPath, PutsThePathBeforeTheQueryAndDropsTheFragment) {
  EXPECT_EQ(detail::append_url_path("https://h", "/v1/events"), "https://h/v1/events");
  EXPECT_EQ(detail::append_url_path("https://h/hh/", "/v1/events"), "https://h/hh/v1/events");
  EXPECT_EQ(detail::append_url_path("https://h/hh?t=1#part", "/v1/events"), "https://h/hh/v1/events?t=1");
  EXPECT_EQ(detail::append_url_path("http://h?x=1", "/v1/traces"), "http://h/v1/traces?x=1");
}

// A path with a query of its own (a dataset fetch): the base's parameters follow with "&", one query.
TEST(AppendUrlPath, JoinsThePathsQueryAndTheBasesIntoOne) {
  EXPECT_EQ(detail::append_url_path("https://h/?gw=1", "/v1/datasets?dataset_id=ds-42"),
            "https://h/v1/datasets?dataset_id=ds-42&gw=1");
  EXPECT_EQ(detail::append_url_path("https://h", "/v1/datasets?dataset_id=ds-42"),
            "https://h/v1/datasets?dataset_id=ds-42");
}

TEST(TrimTrailingSlashes, TrimsThePathOnlyWhenThereIsNoQueryOrFragment) {
  std::string url = "https://h/hh//";
  detail::trim_trailing_slashes(url);
  EXPECT_EQ(url, "https://h/hh");
  url = "https://h/hh/?next=/";
  detail::trim_trailing_slashes(url);
  EXPECT_EQ(url, "https://h/hh/?next=/");
}

}  // namespace
}  // namespace honeyhive
