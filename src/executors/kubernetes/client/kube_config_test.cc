// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/client/kube_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "common/files.h"
#include "tests/harness/harness.h"

namespace ebb::executors::kubernetes {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string B64(const std::string& s) { return absl::Base64Escape(s); }

std::string Kubeconfig(const std::string& user_fields,
                       const std::string& cluster_extra = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
         "clusters:\n- name: c1\n  cluster:\n    server: "
         "https://1.2.3.4:6443\n" +
         cluster_extra +
         "- name: c2\n  cluster:\n    server: https://5.6.7.8\n"
         "    insecure-skip-tls-verify: true\n"
         "contexts:\n- name: dev\n  context: {cluster: c1, user: u, "
         "namespace: team}\n"
         "- name: other\n  context: {cluster: c2, user: u}\n"
         "users:\n- name: u\n  user:\n" +
         user_fields;
}

TEST(KubeconfigTest, CurrentContextWithTokenAndInlineCa) {
  auto c = ParseKubeconfig(
      Kubeconfig("    token: abc\n",
                 "    certificate-authority-data: " + B64("PEM-CA") + "\n"),
      "/k", "", "/k/config");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://1.2.3.4:6443");
  EXPECT_EQ(c->namespace_, "team");
  EXPECT_EQ(c->token, "abc");
  EXPECT_EQ(c->ca_pem, "PEM-CA");
  EXPECT_EQ(c->source, "kubeconfig /k/config (context dev)");
}

TEST(KubeconfigTest, NamedContextWithClientCertificateFilesRelativeToFile) {
  auto c = ParseKubeconfig(Kubeconfig("    client-certificate: certs/u.crt\n"
                                      "    client-key: /abs/u.key\n"),
                           "/home/me/.kube", "other", "cfg");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://5.6.7.8");
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->namespace_, "default");
  EXPECT_EQ(c->client_cert_file, "/home/me/.kube/certs/u.crt");
  EXPECT_EQ(c->client_key_file, "/abs/u.key");
}

TEST(KubeconfigTest, InlineClientCertificateDataIsDecoded) {
  auto c =
      ParseKubeconfig(Kubeconfig("    client-certificate-data: " + B64("CERT") +
                                 "\n    client-key-data: " + B64("KEY") + "\n"),
                      "", "", "cfg");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->client_cert_pem, "CERT");
  EXPECT_EQ(c->client_key_pem, "KEY");
}

TEST(KubeconfigTest, TokenFileAndBasicAuth) {
  auto c = ParseKubeconfig(
      Kubeconfig("    tokenFile: tok\n    username: a\n    password: b\n"),
      "/d", "", "cfg");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->token_file, "/d/tok");
  EXPECT_EQ(c->username, "a");
  EXPECT_EQ(c->password, "b");
}

TEST(KubeconfigTest, ExecPluginIsRefusedSayingWhatToUseInstead) {
  auto c = ParseKubeconfig(
      Kubeconfig("    exec:\n      apiVersion: "
                 "client.authentication.k8s.io/v1beta1\n      command: aws\n"
                 "      args: [eks, get-token]\n"),
      "", "", "cfg");
  ASSERT_EQ(c.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(c.status().message(),
              AllOf(HasSubstr("exec plugin (aws)"),
                    HasSubstr("does not support yet"), HasSubstr("token")));
}

TEST(KubeconfigTest, UnknownContextNamesTheKnownOnes) {
  auto c = ParseKubeconfig(Kubeconfig("    token: t\n"), "", "prod", "cfg");
  ASSERT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(),
              AllOf(HasSubstr("\"prod\""), HasSubstr("dev, other")));
}

TEST(KubeconfigTest, CertificateWithoutKeyIsAnError) {
  auto c = ParseKubeconfig(Kubeconfig("    client-certificate: u.crt\n"), "",
                           "", "cfg");
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("without its key"));
}

TEST(KubeconfigTest, BrokenYamlIsInvalidArgument) {
  EXPECT_EQ(ParseKubeconfig("a: [", "", "", "cfg").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(InClusterConfigTest, ServiceAccountFilesAndServiceEnv) {
  const std::string dir = ebb::testing::MakeTempDir("sa");
  ASSERT_TRUE(WriteFileAtomic(dir + "/token", "tok\n").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/ca.crt", "CA").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/namespace", "ebb-system").ok());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(LoadInClusterConfig(dir).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = LoadInClusterConfig(dir);
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token_file, dir + "/token");
  EXPECT_EQ(c->ca_file, dir + "/ca.crt");
  EXPECT_EQ(c->namespace_, "ebb-system");
}

}  // namespace
}  // namespace ebb::executors::kubernetes
