// SPDX-License-Identifier: Apache-2.0
//
// The real `ebb up --kubernetes` binary against the API server double (run in
// this process, reached through a kubeconfig with a bearer token) and the
// run's real RabbitMQ: the seed's ScaledJob, TriggerAuthentication and
// Secrets are created as keda.sh objects, one message in the queue becomes
// one Job on the "cluster", owned by the ScaledJob, with its status written;
// `ebb status` shows why the Job is pending. Without an external broker
// `ebb up --kubernetes` refuses to start and says why. Two replicas elect one
// leader through a Lease; when it is killed the other takes over and the
// Jobs are neither missed nor doubled.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
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
    ports_[0] = port_;
    queue_ = UniqueName("kube-tasks");
  }
  void TearDown() override {
    for (pid_t pid : pids_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  // Starts `ebb up` with `args` after the common ones; its log in Log().
  // `replica` > 0 starts another replica: its own data directory, port, log
  // (Log(replica)) and POD_NAME "replica-N" (its identity in the Lease).
  pid_t StartEbb(const std::vector<std::string>& args, int replica = 0) {
    const std::string suffix = replica ? absl::StrCat("-", replica) : "";
    const int port = replica ? FreePort() : port_;
    ports_[replica] = port;
    std::vector<std::string> argv = {
        EbbBinary(),  "up",
        "--data-dir", dir_ + "/data" + suffix,
        "--listen",   absl::StrCat("127.0.0.1:", port)};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = MergedEnvironment(
        {{"KUBECONFIG", ""}, {"POD_NAME", absl::StrCat("replica-", replica)}});
    std::vector<char*> cargv, cenv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (auto& e : env) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    const std::string log = dir_ + "/ebb-up" + suffix + ".log";
    const pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execve(cargv[0], cargv.data(), cenv.data());
      _exit(127);
    }
    pids_.push_back(pid);
    return pid;
  }
  std::string Log(int replica = 0) {
    return Slurp(dir_ + "/ebb-up" +
                 (replica ? absl::StrCat("-", replica) : "") + ".log");
  }
  void Publish(const std::string& prompt) {
    queue::RabbitMqOptions mo;
    mo.url = TestAmqpUrl();
    auto mq = queue::RabbitMqQueue::Connect(mo);
    ASSERT_TRUE(mq.ok()) << mq.status();
    queue::OutgoingMessage m;
    m.body = absl::StrCat(R"({"prompt": ")", prompt, R"(", "count": 1})");
    ASSERT_TRUE((*mq)->Publish(queue_, m).ok());
  }
  // The Lease's holderIdentity ("" when none or no Lease).
  std::string Holder() {
    auto lease = server_->store().Get("leases", kSeedNs, "ebb-controller");
    if (!lease || !(*lease)["spec"].contains("holderIdentity")) return "";
    return (*lease)["spec"].value("holderIdentity", "");
  }
  // The seed's objects with this test's broker, queue and a 1 s interval.
  // The queue exists first (one message published, taken and acked): polls
  // of a missing queue fail and set Ready=False, which would race the
  // ScaledJob check's Ready=True that the tests wait for.
  void CreateSeed() {
    {
      queue::RabbitMqOptions mo;
      mo.url = TestAmqpUrl();
      auto mq = queue::RabbitMqQueue::Connect(mo);
      ASSERT_TRUE(mq.ok()) << mq.status();
      queue::OutgoingMessage m;
      m.body = "{}";
      ASSERT_TRUE((*mq)->Publish(queue_, m).ok());
      auto d = (*mq)->Take(queue_, absl::Seconds(10));
      ASSERT_TRUE(d.ok() && d->has_value());
      ASSERT_TRUE((*mq)->Ack(**d).ok());
    }
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
  // Runs an ebb client command against replica `replica`'s API.
  int Ebb(const std::vector<std::string>& args, std::string* out,
          int replica = 0) {
    const std::string suffix = replica ? absl::StrCat("-", replica) : "";
    std::vector<std::string> argv = {EbbBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(),
                {"--server", absl::StrCat("http://127.0.0.1:", ports_[replica]),
                 "--data-dir", dir_ + "/data" + suffix});
    return RunCommand(argv, out);
  }
  // Waits until replica `replica` has polled its ScaledJob `n` more times.
  bool WaitForPolls(int n, int replica = 0) {
    std::set<std::string> polls;
    return WaitFor(
        [&] {
          std::string json;
          if (Ebb({"status", "-o", "json"}, &json, replica) != 0) return false;
          Json j = Json::parse(json, nullptr, false);
          if (j.is_discarded() || j["scaledJobs"].empty()) return false;
          polls.insert(j["scaledJobs"][0]["last"].value("time", ""));
          return static_cast<int>(polls.size()) > n;
        },
        absl::Seconds(30));
  }

  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<KubeClient> client_;
  std::string dir_, kubeconfig_, queue_;
  int port_ = 0;
  std::map<int, int> ports_;  // replica -> API port
  std::vector<pid_t> pids_;
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

  Publish("a red square");

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
  ASSERT_TRUE(WaitForPolls(3));
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
  Publish("a blue circle");
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

// Two replicas of `ebb up --kubernetes` (leader election on, short
// timings: lease 4 s, renew deadline 3 s, retry 0.5 s): one holds the Lease and
// alone creates Jobs; killed (SIGKILL: no release), the other takes the Lease
// over once it has expired and creates the Job for the next message. Neither
// message gets a second Job.
TEST_F(KubeUpTest, TwoReplicasOneLeaderAndTheOtherTakesOverWhenItDies) {
  CreateSeed();
  const std::vector<std::string> args = {"--kubernetes",
                                         "--kubeconfig",
                                         kubeconfig_,
                                         "--lease-duration",
                                         "4",
                                         "--renew-deadline",
                                         "3",
                                         "--retry-period",
                                         "0.5"};
  const pid_t a = StartEbb(args, 1);
  const pid_t b = StartEbb(args, 2);
  ASSERT_TRUE(WaitFor([&] { return !Holder().empty(); }, absl::Seconds(60)))
      << Log(1) << Log(2);
  const std::string first = Holder();
  ASSERT_TRUE(first == "replica-1" || first == "replica-2") << first;
  const int leader = first == "replica-1" ? 1 : 2, other = 3 - leader;

  Publish("a red square");
  ASSERT_TRUE(WaitFor([&] { return Jobs().size() == 1; }, absl::Seconds(60)))
      << Log(leader);
  EXPECT_THAT(Log(leader), HasSubstr("became leader"));
  EXPECT_THAT(Log(other), ::testing::Not(HasSubstr("became leader")));
  // The standby serves the API: `ebb status` says who leads once the standby
  // has read the Lease (it tries every retry period).
  std::string out;
  EXPECT_TRUE(WaitFor(
      [&] {
        out.clear();
        return Ebb({"status"}, &out, other) == 0 &&
               out.find(absl::StrCat("leader: replica-", leader)) !=
                   std::string::npos;
      },
      absl::Seconds(30)))
      << out;
  EXPECT_THAT(out, HasSubstr("standby"));

  // The leader dies without releasing the Lease.
  const pid_t dead = leader == 1 ? a : b;
  ::kill(dead, SIGKILL);
  ::waitpid(dead, nullptr, 0);
  pids_.erase(std::find(pids_.begin(), pids_.end(), dead));
  const absl::Time killed = absl::Now();
  ASSERT_TRUE(
      WaitFor([&] { return Holder() == absl::StrCat("replica-", other); },
              absl::Seconds(60)))
      << Log(other);
  // lease 4 s + 2.4 retry periods, with room for a busy machine. (The
  // renew deadline, 3 s, leaves a loaded machine room to renew in time.)
  EXPECT_LT(absl::Now() - killed, absl::Seconds(20));
  // Its log says so (written just after the Lease write the store shows).
  EXPECT_TRUE(WaitFor(
      [&] { return Log(other).find("became leader") != std::string::npos; },
      absl::Seconds(30)))
      << Log(other);

  Publish("a blue circle");
  ASSERT_TRUE(WaitFor([&] { return Jobs().size() == 2; }, absl::Seconds(60)))
      << Log(other);
  // Three polls later (1 s interval) still two Jobs: the first message's
  // Job is counted by the new leader, not made again.
  const int creates = server_->Requests("create", "jobs");
  ASSERT_TRUE(WaitForPolls(3, other));
  EXPECT_EQ(server_->Requests("create", "jobs"), creates);
  EXPECT_EQ(Jobs().size(), 2u);
}

}  // namespace
}  // namespace ebb
