// SPDX-License-Identifier: Apache-2.0
#include "common/names.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb {
namespace {

using ::testing::HasSubstr;

TEST(NamesTest, LabelsThatKubernetesAccepts) {
  for (const std::string& ok : std::vector<std::string>{
           "default", "a", "0", "worker-1", "stable-diffusion-worker",
           std::string(63, 'a')}) {
    EXPECT_TRUE(ValidateDns1123Label(ok, "namespace").ok()) << ok;
  }
}

TEST(NamesTest, LabelsThatWouldLeaveTheirDirectory) {
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "..", "../../..", "a/b", "a%2Fb", "-a", "a-", "A", "a_b",
           "a.b", "a\\b", std::string("a\0b", 3), std::string(64, 'a'),
           "caf\xc3\xa9"}) {
    absl::Status s = ValidateDns1123Label(bad, "namespace");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("namespace: ")) << bad;
  }
}

TEST(NamesTest, LabelErrorSaysWhatIsAllowed) {
  absl::Status s = ValidateDns1123Label("../x", "container");
  EXPECT_EQ(s.message(),
            "container: \"../x\" is not a valid name: it may contain only "
            "lowercase letters, digits and '-' (a DNS-1123 label, such as "
            "\"default\")");
  EXPECT_THAT(ValidateDns1123Label(std::string(64, 'a'), "container").message(),
              HasSubstr("longer than 63"));
}

TEST(NamesTest, ErrorsEscapeControlCharacters) {
  absl::Status s = ValidateDns1123Label("a\nFAKE log line", "namespace");
  EXPECT_THAT(s.message(), HasSubstr("a\\x0aFAKE"));
  EXPECT_EQ(std::string(s.message()).find('\n'), std::string::npos);
}

TEST(NamesTest, SubdomainsThatKubernetesAccepts) {
  for (const std::string& ok :
       std::vector<std::string>{"stable-diff-job-x7k2p", "a.b.c",
                                "ebb-worker-1", "x", std::string(253, 'a')}) {
    EXPECT_TRUE(ValidateDns1123Subdomain(ok, "job name").ok()) << ok;
  }
}

TEST(NamesTest, SubdomainsThatWouldLeaveTheirDirectory) {
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "..", "a..b", ".a", "a.", "a/b", "../etc", "A", "a_b",
           "a.-b", std::string(254, 'a'), std::string("a\0", 2)}) {
    EXPECT_EQ(ValidateDns1123Subdomain(bad, "job name").code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_THAT(ValidateDns1123Subdomain("a..b", "job name").message(),
              HasSubstr("empty part between dots"));
  EXPECT_THAT(ValidateDns1123Subdomain("a.B", "job name").message(),
              HasSubstr("in each dot-separated part"));
}

}  // namespace
}  // namespace ebb
