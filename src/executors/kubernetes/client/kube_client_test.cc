// SPDX-License-Identifier: Apache-2.0
//
// KubeClient against the API server double: each credential kind, TLS with a
// CA and client certificates (made with the openssl CLI for the test), error
// mapping and watch streams.
#include "executors/kubernetes/client/kube_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/escaping.h"
#include "common/files.h"
#include "executors/kubernetes/client/api_error.h"
#include "executors/kubernetes/testing/fake_api_server.h"
#include "tests/harness/harness.h"

namespace ebb::executors::kubernetes {
namespace {

using ::testing::AllOf;
using testing::FakeApiServer;
using testing::FakeApiServerOptions;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kJobs[] = "/apis/batch/v1/namespaces/ns/jobs";

// CA, server (127.0.0.1) and client certificates, and a second CA.
class Certs {
 public:
  Certs() : dir_(ebb::testing::MakeTempDir("kube-certs")) {
    const std::string script = R"(set -e
cd ")" + dir_ + R"("
key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
key ca.key; key other.key; key server.key; key client.key
openssl req -x509 -new -key ca.key -out ca.crt -days 2 -subj /CN=test-ca
openssl req -x509 -new -key other.key -out other.crt -days 2 -subj /CN=other-ca
openssl req -new -key server.key -out server.csr -subj /CN=127.0.0.1
printf 'subjectAltName=IP:127.0.0.1\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
  -out server.crt -days 2 -extfile server.ext 2>/dev/null
openssl req -new -key client.key -out client.csr -subj /CN=ebb
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
  -out client.crt -days 2 -extfile client.ext 2>/dev/null
)";
    std::string out;
    ok_ = ebb::testing::RunCommand({"bash", "-c", script}, &out) == 0;
    if (!ok_) std::fprintf(stderr, "openssl failed: %s\n", out.c_str());
  }
  bool ok() const { return ok_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Pem(const std::string& name) const {
    return ReadFile(Path(name)).value_or("");
  }

 private:
  std::string dir_;
  bool ok_ = false;
};

KubeConfig PlainConfig(const FakeApiServer& server) {
  KubeConfig c;
  c.server = server.url();
  return c;
}

TEST(KubeClientTest, BearerTokenAuthenticatesAndAWrongOneIsRefused) {
  FakeApiServerOptions o;
  o.token = "good-token";
  FakeApiServer server(o);
  ASSERT_TRUE(server.Start().ok());
  KubeConfig c = PlainConfig(server);
  c.token = "good-token";
  auto list = KubeClient(c).Request("GET", kJobs);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ((*list)["kind"], "JobList");
  c.token = "bad-token";
  auto refused = KubeClient(c).Request("GET", kJobs);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(refused.status().message(),
              AllOf(HasSubstr("401"), Not(HasSubstr("bad-token"))));
}

TEST(KubeClientTest, TokenFileIsReadOnEveryRequestSoRotationWorks) {
  FakeApiServerOptions o;
  o.token = "v1";
  FakeApiServer server(o);
  ASSERT_TRUE(server.Start().ok());
  const std::string file = ebb::testing::MakeTempDir("tok") + "/token";
  ASSERT_TRUE(WriteFileAtomic(file, "v1\n").ok());
  KubeConfig c = PlainConfig(server);
  c.token_file = file;
  KubeClient client(c);
  EXPECT_TRUE(client.Request("GET", kJobs).ok());
  ASSERT_TRUE(WriteFileAtomic(file, "v2").ok());
  EXPECT_EQ(client.Request("GET", kJobs).status().code(),
            absl::StatusCode::kUnauthenticated);
}

class KubeClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = new Certs(); }
  static void TearDownTestSuite() { delete certs_; }
  void SetUp() override {
    ASSERT_TRUE(certs_->ok());
    FakeApiServerOptions o;
    o.tls_cert_file = certs_->Path("server.crt");
    o.tls_key_file = certs_->Path("server.key");
    o.client_ca_file = certs_->Path("ca.crt");
    server_ = std::make_unique<FakeApiServer>(o);
    ASSERT_TRUE(server_->Start().ok());
  }
  static Certs* certs_;
  std::unique_ptr<FakeApiServer> server_;
};
Certs* KubeClientTlsTest::certs_ = nullptr;

TEST_F(KubeClientTlsTest, CaAndClientCertificateFromFiles) {
  KubeConfig c = PlainConfig(*server_);
  c.ca_file = certs_->Path("ca.crt");
  c.client_cert_file = certs_->Path("client.crt");
  c.client_key_file = certs_->Path("client.key");
  auto list = KubeClient(c).Request("GET", kJobs);
  EXPECT_TRUE(list.ok()) << list.status();
}

TEST_F(KubeClientTlsTest, CaAndClientCertificateFromInlineData) {
  const std::string kubeconfig =
      "current-context: x\nclusters:\n- name: x\n  cluster:\n    server: " +
      server_->url() + "\n    certificate-authority-data: " +
      absl::Base64Escape(certs_->Pem("ca.crt")) +
      "\ncontexts:\n- name: x\n  context: {cluster: x, user: x}\n"
      "users:\n- name: x\n  user:\n    client-certificate-data: " +
      absl::Base64Escape(certs_->Pem("client.crt")) +
      "\n    client-key-data: " +
      absl::Base64Escape(certs_->Pem("client.key")) + "\n";
  auto c = ParseKubeconfig(kubeconfig, "", "", "inline");
  ASSERT_TRUE(c.ok()) << c.status();
  auto list = KubeClient(*c).Request("GET", kJobs);
  EXPECT_TRUE(list.ok()) << list.status();
}

TEST_F(KubeClientTlsTest, CaMismatchIsAClearTlsError) {
  KubeConfig c = PlainConfig(*server_);
  c.ca_file = certs_->Path("other.crt");
  c.client_cert_file = certs_->Path("client.crt");
  c.client_key_file = certs_->Path("client.key");
  auto list = KubeClient(c).Request("GET", kJobs);
  EXPECT_EQ(list.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(list.status().message(),
              AllOf(HasSubstr("TLS error"), HasSubstr("other.crt")));
}

TEST_F(KubeClientTlsTest, MissingClientCertificateIsRefused) {
  KubeConfig c = PlainConfig(*server_);
  c.ca_file = certs_->Path("ca.crt");
  auto list = KubeClient(c).Request("GET", kJobs);
  EXPECT_FALSE(list.ok());
}

TEST(KubeClientErrorsTest, ServerErrorsMapToCodesWithTheServersMessage) {
  FakeApiServer server;
  ASSERT_TRUE(server.Start().ok());
  KubeClient client(PlainConfig(server));
  server.Deny("list", "jobs");
  auto denied = client.Request("GET", kJobs);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(denied.status().message(),
              HasSubstr("cannot list resource \"jobs\" in API group "
                        "\"batch\" in the namespace \"ns\""));
  server.Allow("list", "jobs");
  server.FailNext("list", "jobs", 410);
  EXPECT_TRUE(IsGone(client.Request("GET", kJobs).status()));
  server.FailNext("list", "jobs", 429, 1, 7);
  auto throttled = client.Request("GET", kJobs);
  EXPECT_EQ(throttled.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryAfterOf(throttled.status()), absl::Seconds(7));
  server.FailNext("", "", 500);
  EXPECT_EQ(client.Request("GET", kJobs).status().code(),
            absl::StatusCode::kUnavailable);
  auto invalid = client.Request("POST", kJobs, {{"metadata", {{"name", "x"}}}});
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(invalid.status().message(),
              HasSubstr("spec.template.spec.containers: Required value"));
  EXPECT_EQ(client.Request("GET", std::string(kJobs) + "/x").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(KubeClientErrorsTest, RbacHintNamesTheRoleRuleAndKeepsTheHttpCode) {
  FakeApiServer server;
  ASSERT_TRUE(server.Start().ok());
  KubeClient client(PlainConfig(server));
  server.Deny("get", "leases");
  const std::string lease =
      "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l";
  absl::Status denied = client.Request("GET", lease).status();
  absl::Status hinted = WithRbacHint(denied, "get", "coordination.k8s.io",
                                     "leases", {"get", "create", "update"});
  EXPECT_EQ(hinted.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(HttpCodeOf(hinted), 403);
  EXPECT_THAT(hinted.message(),
              AllOf(HasSubstr(std::string(denied.message())),
                    HasSubstr("ebb needs RBAC permission to get "
                              "leases.coordination.k8s.io: add a Role rule "
                              "with apiGroups [\"coordination.k8s.io\"], "
                              "resources [\"leases\"], verbs [\"get\", "
                              "\"create\", \"update\"]")));
  EXPECT_THAT(WithRbacHint(denied, "list", "batch", "jobs").message(),
              HasSubstr("verbs [\"list\"]"));
  absl::Status other = absl::UnavailableError("down");
  EXPECT_EQ(WithRbacHint(other, "get", "", "pods"), other);
}

TEST(KubeClientWatchTest, LinesArriveAndTheStopFlagEndsTheStream) {
  FakeApiServer server;
  ASSERT_TRUE(server.Start().ok());
  KubeClient client(PlainConfig(server));
  std::atomic<bool> stop{false};
  std::atomic<int> lines{0};
  std::thread watcher([&] {
    absl::Status s = client.Watch(
        std::string(kJobs) + "?watch=1&resourceVersion=1",
        [&](const std::string& line) {
          ++lines;
          return true;
        },
        &stop);
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  });
  server.store().Put("jobs", "ns", {{"metadata", {{"name", "a"}}}});
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (lines.load() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(lines.load(), 1);
  stop = true;
  watcher.join();
}

}  // namespace
}  // namespace ebb::executors::kubernetes
