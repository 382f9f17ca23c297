// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "common/ids.h"
#include "executors/local/local_executor_test_util.h"

namespace ebb::executors::local {
namespace {

spec::Volume MakeVolume(const std::string& name) {
  spec::Volume v;
  v.name = name;
  v.empty_dir = true;
  return v;
}

TEST_F(LocalExecutorTest, SucceedingContainerCompletesJob) {
  auto job = ex_->Create(Request({Sh("main", "exit 0")}));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->name.rfind("sj-", 0), 0u);
  EXPECT_EQ(job->name.size(), 8u);
  EXPECT_EQ(job->state, JobState::kPending);
  EXPECT_EQ(job->Generation(), 1);
  Job done = WaitState(job->name, JobState::kSucceeded);
  EXPECT_EQ(done.reason, "Completed");
  EXPECT_NE(done.finished, absl::InfinitePast());
  EXPECT_NE(done.started, absl::InfinitePast());
  ASSERT_EQ(done.containers.size(), 1u);
  EXPECT_EQ(done.containers[0].exit_code, 0);
  EXPECT_EQ(done.labels.at("scaledjob.keda.sh/name"), "sj");
}

TEST_F(LocalExecutorTest, OnFailureRestartsThenFailsPastBackoffLimit) {
  JobRequest r = Request({Sh("main", "echo run; exit 3")}, /*backoff=*/1);
  auto job = ex_->Create(r);
  ASSERT_TRUE(job.ok()) << job.status();
  Job done = WaitState(job->name, JobState::kFailed);
  EXPECT_EQ(done.reason, "BackoffLimitExceeded");
  EXPECT_EQ(done.failed_attempts, 2);
  EXPECT_EQ(done.containers[0].restarts, 1);
  EXPECT_EQ(done.containers[0].exit_code, 3);
  std::string log = Log(job->name, "main");
  EXPECT_EQ(log, "run\nrun\n");
}

TEST_F(LocalExecutorTest, NeverPolicyFailedContainerStopsThePod) {
  JobRequest r =
      Request({Sh("bad", "exit 5"), Sh("sleeper", "exec sleep 60")}, 0);
  r.spec.template_.restart_policy = "Never";
  auto job = ex_->Create(r);
  ASSERT_TRUE(job.ok()) << job.status();
  Job done = WaitState(job->name, JobState::kFailed);
  EXPECT_EQ(done.reason, "BackoffLimitExceeded");
  EXPECT_EQ(done.containers[1].state, "terminated");
  EXPECT_EQ(done.containers[1].exit_code, 128 + SIGTERM);
}

TEST_F(LocalExecutorTest, NeverPolicyRestartsWholePodWithinBackoffLimit) {
  std::string flag = tmp_ + "/second-try";
  JobRequest r =
      Request({Sh("flaky", "if [ -f " + flag + " ]; then exit 0; fi; touch " +
                               flag + "; exit 1"),
               Sh("helper", "exec sleep 60")},
              /*backoff_limit=*/2);
  r.spec.template_.restart_policy = "Never";
  auto job = ex_->Create(r);
  ASSERT_TRUE(job.ok()) << job.status();
  // The helper never exits on its own, so the job runs after the restart.
  Job again = WaitJob(
      job->name, [](const Job& j) { return j.containers[0].exit_code == 0; });
  EXPECT_EQ(again.failed_attempts, 1);
  EXPECT_EQ(again.containers[0].restarts, 1);
  EXPECT_EQ(again.containers[1].restarts, 1);
  EXPECT_EQ(again.containers[1].state, "running");
  EXPECT_FALSE(again.Finished());
}

TEST_F(LocalExecutorTest, ActiveDeadlineFailsJob) {
  JobRequest r = Request({Sh("main", "exec sleep 60")});
  r.spec.active_deadline_seconds = 1;
  auto job = ex_->Create(r);
  ASSERT_TRUE(job.ok()) << job.status();
  Job done = WaitState(job->name, JobState::kFailed);
  EXPECT_EQ(done.reason, "DeadlineExceeded");
}

TEST_F(LocalExecutorTest, NotifyReadinessKeepsJobPendingUntilReady) {
  std::string flag = tmp_ + "/model-loaded";
  spec::Container c;
  c.name = "worker";
  c.image = "example.com/notify-worker:v2";
  c.args = {"while [ ! -f " + flag +
            " ]; do sleep 0.05; done; echo READY=1 >&$EBB_READY_FD; "
            "exec sleep 60"};
  auto job = ex_->Create(Request({c}));
  ASSERT_TRUE(job.ok()) << job.status();
  Job started = WaitJob(job->name, [](const Job& j) {
    return !j.containers.empty() && j.containers[0].state == "running";
  });
  EXPECT_EQ(started.state, JobState::kPending);
  EXPECT_FALSE(started.containers[0].ready);
  ASSERT_TRUE(WriteFileAtomic(flag, "").ok());
  Job ready = WaitState(job->name, JobState::kRunning);
  EXPECT_TRUE(ready.containers[0].ready);
  EXPECT_NE(ready.ready, absl::InfinitePast());
}

TEST_F(LocalExecutorTest, ExecReadinessProbeGatesRunning) {
  std::string flag = tmp_ + "/probe-ok";
  spec::Container c = Sh("main", "exec sleep 60");
  spec::ExecProbe p;
  p.command = {"/bin/sh", "-c", "test -f " + flag};
  p.period_seconds = 1;
  c.readiness_probe = p;
  auto job = ex_->Create(Request({c}));
  ASSERT_TRUE(job.ok()) << job.status();
  Job started = WaitJob(job->name, [](const Job& j) {
    return j.containers[0].state == "running";
  });
  EXPECT_EQ(started.state, JobState::kPending);
  ASSERT_TRUE(WriteFileAtomic(flag, "").ok());
  WaitState(job->name, JobState::kRunning);
}

TEST_F(LocalExecutorTest, SkipMappedContainerIsNotRun) {
  spec::Container sidecar = Sh("minio-sidecar", "exit 1");
  sidecar.image = "docker.io/minio/mc:latest";
  auto job = ex_->Create(Request({Sh("main", "exit 0"), sidecar}));
  ASSERT_TRUE(job.ok()) << job.status();
  Job done = WaitState(job->name, JobState::kSucceeded);
  EXPECT_EQ(done.containers[1].state, "skipped");
  EXPECT_FALSE(done.containers[1].exit_code.has_value());
}

TEST_F(LocalExecutorTest, ResolvedEnvIsPresentAndHostEnvIsNot) {
  ::setenv("EBB_TEST_LEAK", "leaked", 1);
  JobRequest r = Request({Sh("main",
                             "echo \"S=$SECRET A=$A X=$EBB_X H=$HOSTNAME "
                             "L=$EBB_TEST_LEAK P=${PATH:+set}\"")});
  r.env["main"] = {{"SECRET", "s3cr3t"}, {"A", "1"}};
  r.extra_env["EBB_X"] = "y";
  auto job = ex_->Create(r);
  ::unsetenv("EBB_TEST_LEAK");
  ASSERT_TRUE(job.ok()) << job.status();
  WaitState(job->name, JobState::kSucceeded);
  EXPECT_EQ(Log(job->name, ""),
            "S=s3cr3t A=1 X=y H=" + job->name + " L= P=set\n");
  // job.json holds the resolved secret: only the owner may read the job dir.
  struct stat sb;
  ASSERT_EQ(::stat(ex_->JobDir("default", job->name).c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0077, 0u);
}

TEST_F(LocalExecutorTest, ContainerCpuLimitIsPassedAsEbbCpuLimit) {
  spec::Container c = Sh("main", "echo \"L=$EBB_CPU_LIMIT\"");
  c.cpu_limit = "1500m";
  auto job = ex_->Create(Request({c}));
  ASSERT_TRUE(job.ok()) << job.status();
  WaitState(job->name, JobState::kSucceeded);
  EXPECT_EQ(Log(job->name, ""), "L=1500m\n");
}

TEST_F(LocalExecutorTest, UnmappedImageWithoutCommandFailsCreate) {
  options_.image_map = ImageMap();
  auto map = ImageMap::Parse("images: []\n", "/etc/ebb/images.yaml");
  ASSERT_TRUE(map.ok());
  options_.image_map = *map;
  ReopenExecutor();
  spec::Container c;
  c.name = "worker";
  c.image = "ghcr.io/kedify/stable-diffusion-worker:1.0";
  auto job = ex_->Create(Request({c}));
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(job.status().message(),
                                "ghcr.io/kedify/stable-diffusion-worker"));
  EXPECT_TRUE(
      absl::StrContains(job.status().message(), "/etc/ebb/images.yaml"));
  EXPECT_TRUE(ex_->List("", "")->empty());
  EXPECT_TRUE(std::filesystem::is_empty(tmp_ + "/data/jobs/default"));
}

TEST_F(LocalExecutorTest, LogsTail) {
  auto job = ex_->Create(Request({Sh("main", "echo hello; echo oops >&2")}));
  ASSERT_TRUE(job.ok()) << job.status();
  WaitState(job->name, JobState::kSucceeded);
  EXPECT_EQ(Log(job->name, "main"), "hello\noops\n");
  EXPECT_EQ(*ex_->Logs("default", job->name, "", 5), "oops\n");
  EXPECT_EQ(ex_->Logs("default", job->name, "nope", 5).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ex_->Logs("default", "sj-zzzzz", "", 5).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LocalExecutorTest, EmptyDirSharedWithinJobNotAcrossJobs) {
  if (::geteuid() != 0) GTEST_SKIP() << "bind mounts need root";
  std::string a = "/tmp/ebb-vol-a-" + RandomSuffix(6);
  std::string b = "/tmp/ebb-vol-b-" + RandomSuffix(6);
  auto with_volume = [](spec::Container c, const std::string& path) {
    c.volume_mounts.push_back(spec::VolumeMount{"shared", path, false});
    return c;
  };
  JobRequest r = Request({with_volume(Sh("writer", "echo hi > " + a + "/x"), a),
                          with_volume(Sh("reader", "while [ ! -f " + b +
                                                       "/x ]; do sleep 0.05; "
                                                       "done; cat " +
                                                       b + "/x"),
                                      b)});
  r.spec.template_.volumes.push_back(MakeVolume("shared"));
  auto job = ex_->Create(r);
  ASSERT_TRUE(job.ok()) << job.status();
  WaitState(job->name, JobState::kSucceeded);
  EXPECT_EQ(Log(job->name, "reader"), "hi\n");
  EXPECT_FALSE(std::filesystem::exists(a + "/x"));  // not on the host path

  JobRequest r2 =
      Request({with_volume(Sh("check", "test ! -e " + a + "/x"), a)});
  r2.spec.template_.volumes.push_back(MakeVolume("shared"));
  auto job2 = ex_->Create(r2);
  ASSERT_TRUE(job2.ok()) << job2.status();
  Job done = WaitJob(job2->name, [](const Job& j) { return j.Finished(); });
  EXPECT_EQ(done.state, JobState::kSucceeded);
  std::error_code ec;
  std::filesystem::remove(a, ec);
  std::filesystem::remove(b, ec);
}

}  // namespace
}  // namespace ebb::executors::local
