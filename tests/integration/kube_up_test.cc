// SPDX-License-Identifier: Apache-2.0
//
// The real `ebb up --kubernetes` binary against the API server double (run in
// this process, reached through a kubeconfig with a bearer token) and the
// run's real RabbitMQ: the seed's ScaledJob, TriggerAuthentication and
// Secrets are created as keda.sh objects, one message in the queue becomes
// one Job on the "cluster", owned by the ScaledJob, with its status written;
// `ebb status` shows why the Job is pending. Without an external broker
// `ebb up --kubernetes` refuses to start and says why.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "executors/kubernetes/cluster/cluster_test_util.h"
#include "executors/kubernetes/kube_test_util.h"
#include "executors/kubernetes/testing/fake_api_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "tests/harness/harness.h"

namespace ebb {
namespace {

using Json = nlohmann::json;
using ::ebb::testing::EbbBinary;
using ::ebb::testing::FreePort;
using ::ebb::testing::MakeTempDir;
using ::ebb::testing::MergedEnvironment;
using ::ebb::testing::RunCommand;
using ::ebb::testing::TestAmqpUrl;
using ::ebb::testing::UniqueName;
using executors::kubernetes::KubeClient;
using executors::kubernetes::KubeConfig;
using executors::kubernetes::cluster::testing::CreateObject;
using executors::kubernetes::cluster::testing::kSeedJob;
using executors::kubernetes::cluster::testing::kSeedNs;
using executors::kubernetes::cluster::testing::SeedObjects;
using executors::kubernetes::testing::FakeApiServer;
using executors::kubernetes::testing::FakeApiServerOptions;
using executors::kubernetes::testing::LabelSelector;
using executors::kubernetes::testing::PodFor;
using executors::kubernetes::testing::UnschedulableStatus;
using executors::kubernetes::testing::WaitFor;
using ::testing::HasSubstr;

constexpr char kToken[] = "kube-up-test-token";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class KubeUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeApiServerOptions o;
    o.token = kToken;
    server_ = std::make_unique<FakeApiServer>(o);
    ASSERT_TRUE(server_->Start().ok());
    dir_ = MakeTempDir("ebb-kube-up");
    kubeconfig_ = dir_ + "/kubeconfig";
    std::ofstream(kubeconfig_) << absl::StrCat(
        "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
        "clusters:\n- name: double\n  cluster:\n    server: ",
        server_->url(),
        "\ncontexts:\n- name: test\n  context:\n    cluster: double\n"
        "    user: ebb\n    namespace: ",
        kSeedNs, "\nusers:\n- name: ebb\n  user:\n    token: ", kToken, "\n");
    KubeConfig config;
    config.server = server_->url();
    config.token = kToken;
    client_ = std::make_unique<KubeClient>(config);
    port_ = FreePort();
    queue_ = UniqueName("kube-tasks");
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Starts `ebb up` with `args` after the common ones; its log in log().
  void StartEbb(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        EbbBinary(),    "up",       "--data-dir",
        dir_ + "/data", "--listen", absl::StrCat("127.0.0.1:", port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = MergedEnvironment({{"KUBECONFIG", ""}});
    std::vector<char*> cargv, cenv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (auto& e : env) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    const std::string log = dir_ + "/ebb-up.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execve(cargv[0], cargv.data(), cenv.data());
      _exit(127);
    }
  }
  std::string Log() { return Slurp(dir_ + "/ebb-up.log"); }
  // The seed's objects with this test's broker, queue and a 1 s interval.
  void CreateSeed() {
    for (Json o : SeedObjects(TestAmqpUrl())) {
      if (o["kind"] == "ScaledJob") {
        o["spec"]["pollingInterval"] = 1;
        o["spec"]["triggers"][0]["metadata"]["queueName"] = queue_;
      }
      auto created = CreateObject(*client_, o);
      ASSERT_TRUE(created.ok()) << created.status();
    }
  }
  std::vector<Json> Jobs() {
    return server_->store().List("jobs", kSeedNs, LabelSelector());
  }
  int Ebb(const std::vector<std::string>& args, std::string* out) {
    std::vector<std::string> argv = {EbbBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(),
                {"--server", absl::StrCat("http://127.0.0.1:", port_),
                 "--data-dir", dir_ + "/data"});
    return RunCommand(argv, out);
  }

  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<KubeClient> client_;
  std::string dir_, kubeconfig_, queue_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(KubeUpTest, OneMessageBecomesOneJobOnTheCluster) {
  CreateSeed();
  StartEbb({"--kubernetes", "--kubeconfig", kubeconfig_});
  // Ready once the ScaledJob has been read and polled.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto sj = server_->store().Get("scaledjobs", kSeedNs, kSeedJob);
        if (!sj || !sj->contains("status")) return false;
        for (const Json& c : (*sj)["status"]["conditions"]) {
          if (c["type"] == "Ready" && c["status"] == "True") return true;
        }
        return false;
      },
      absl::Seconds(60)))
      << Log();
  EXPECT_TRUE(Jobs().empty());

  queue::RabbitMqOptions mo;
  mo.url = TestAmqpUrl();
  auto mq = queue::RabbitMqQueue::Connect(mo);
  ASSERT_TRUE(mq.ok()) << mq.status();
  queue::OutgoingMessage m;
  m.body = R"({"prompt": "a red square", "count": 1})";
  ASSERT_TRUE((*mq)->Publish(queue_, m).ok());

  ASSERT_TRUE(WaitFor([&] { return Jobs().size() == 1; }, absl::Seconds(60)))
      << Log();
  const Json job = Jobs()[0];
  const Json sj = *server_->store().Get("scaledjobs", kSeedNs, kSeedJob);
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["uid"],
            sj["metadata"]["uid"]);
  // The Job's pod cannot be scheduled (GPU nodes still booting): `ebb status`
  // says so, and no second Job is made for the one message.
  server_->store().Put("pods", kSeedNs,
                       PodFor(job, "pod-1", UnschedulableStatus()));
  std::string out;
  ASSERT_TRUE(WaitFor(
      [&] {
        out.clear();
        return Ebb({"status"}, &out) == 0 &&
               out.find("pending: 1 Unschedulable") != std::string::npos;
      },
      absl::Seconds(30)))
      << out;
  const int creates = server_->Requests("create", "jobs");
  // Three more polls (1 s interval) create nothing.
  std::set<std::string> polls;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string json;
        if (Ebb({"status", "-o", "json"}, &json) != 0) return false;
        Json j = Json::parse(json, nullptr, false);
        if (j.is_discarded()) return false;
        polls.insert(j["scaledJobs"][0]["last"].value("time", ""));
        return polls.size() >= 4;
      },
      absl::Seconds(30)));
  EXPECT_EQ(server_->Requests("create", "jobs"), creates);
  EXPECT_EQ(Jobs().size(), 1u);
  EXPECT_THAT(Log(), HasSubstr(server_->url()));
  EXPECT_THAT(Log(), ::testing::Not(HasSubstr(kToken)));
  EXPECT_THAT(Log(), ::testing::Not(HasSubstr("guest:guest")));
}

// With -f the ScaledJobs are the file's (the cluster has no KEDA CRDs): the
// Jobs go to the ScaledJob's namespace, with no ownerReference (there is no
// ScaledJob object to own them) and ebb reads no keda.sh objects.
TEST_F(KubeUpTest, ManifestFilesRunTheirJobsOnTheCluster) {
  std::string text = Slurp(::ebb::testing::SourceDir() +
                           "/examples/stable-diffusion/manifests.yaml");
  text = absl::StrReplaceAll(
      text, {{"amqp://guest:guest@127.0.0.1:5672/", TestAmqpUrl()},
             {"queueName: tasks", "queueName: " + queue_},
             {"pollingInterval: 5", "pollingInterval: 1"}});
  const std::string file = dir_ + "/manifests.yaml";
  std::ofstream(file) << text;
  StartEbb({"--kubernetes", "--kubeconfig", kubeconfig_, "-f", file});
  queue::RabbitMqOptions mo;
  mo.url = TestAmqpUrl();
  auto mq = queue::RabbitMqQueue::Connect(mo);
  ASSERT_TRUE(mq.ok()) << mq.status();
  queue::OutgoingMessage m;
  m.body = R"({"prompt": "a blue circle", "count": 1})";
  ASSERT_TRUE((*mq)->Publish(queue_, m).ok());
  ASSERT_TRUE(WaitFor([&] { return Jobs().size() == 1; }, absl::Seconds(60)))
      << Log();
  const Json job = Jobs()[0];
  EXPECT_FALSE(job["metadata"].contains("ownerReferences"));
  EXPECT_EQ(job["metadata"]["labels"]["scaledjob.keda.sh/name"], kSeedJob);
  EXPECT_EQ(server_->Requests("list", "scaledjobs"), 0);
  EXPECT_EQ(server_->Requests("create", "events"), 0);
}

TEST_F(KubeUpTest, WithoutAnExternalBrokerItRefusesToStart) {
  std::string text = Slurp(::ebb::testing::SourceDir() +
                           "/examples/stable-diffusion/"
                           "manifests.yaml");
  text = absl::StrReplaceAll(
      text, {{"    - type: rabbitmq\n", "    - type: ebb-queue\n"}});
  const std::string file = dir_ + "/embedded.yaml";
  std::ofstream(file) << text;
  std::string out;
  const int rc = RunCommand(
      {"timeout", "60", EbbBinary(), "up", "--kubernetes", "--kubeconfig",
       kubeconfig_, "-f", file, "--data-dir", dir_ + "/data2", "--listen",
       absl::StrCat("127.0.0.1:", FreePort())},
      &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("ScaledJob stable-diff/stable-diff-job"));
  EXPECT_THAT(out, HasSubstr("embedded queue"));
  EXPECT_THAT(out, HasSubstr("external broker"));
  EXPECT_EQ(server_->Requests("create", "jobs"), 0);
}

}  // namespace
}  // namespace ebb
