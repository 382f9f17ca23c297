// SPDX-License-Identifier: Apache-2.0
//
// Test fixture for LocalExecutor tests: a temp data dir, the test supervisor
// binary, request builders and condition-based waits (poll List with a
// deadline; never fixed sleeps).
#ifndef EBB_EXECUTORS_LOCAL_LOCAL_EXECUTOR_TEST_UTIL_H_
#define EBB_EXECUTORS_LOCAL_LOCAL_EXECUTOR_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/files.h"
#include "executors/local/local_executor.h"
#include "executors/local/process.h"

namespace ebb::executors::local {

class LocalExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ebb-exec-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    ImageMapping skip;
    skip.image = "minio/mc";
    skip.skip = true;
    options_.image_map.Add(skip);
    ImageMapping worker;
    worker.image = "example.com/notify-worker";
    worker.command = {"/bin/sh", "-c"};
    worker.readiness = "notify";
    options_.image_map.Add(worker);
    ReopenExecutor();
  }

  void ReopenExecutor() {
    options_.data_dir = tmp_ + "/data";
    options_.supervisor_argv = {EBB_SUPERVISOR_FOR_TESTS};
    auto ex = LocalExecutor::Create(options_);
    ASSERT_TRUE(ex.ok()) << ex.status();
    ex_ = std::move(*ex);
  }

  void TearDown() override {
    if (ex_) {
      auto jobs = ex_->List("", "");
      if (jobs.ok())
        for (const Job& j : *jobs)
          (void)ex_->Delete(j.namespace_, j.name, false);
      WaitUntil([&] {
        auto all = ex_->List("", "");
        return all.ok() && all->empty();
      });
    }
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  static spec::Container Sh(const std::string& name,
                            const std::string& script) {
    spec::Container c;
    c.name = name;
    c.image = "busybox:1.36";
    c.command = {"/bin/sh", "-c", script};
    return c;
  }

  static JobRequest Request(std::vector<spec::Container> containers,
                            int backoff_limit = 0) {
    JobRequest r;
    r.scaled_job = "sj";
    r.namespace_ = "default";
    r.labels["scaledjob.keda.sh/name"] = "sj";
    r.annotations["scaledjob.keda.sh/generation"] = "1";
    r.spec.template_.containers = std::move(containers);
    r.spec.template_.termination_grace_period_seconds = 5;
    r.spec.backoff_limit = backoff_limit;
    return r;
  }

  // Polls `cond` every 20 ms until true or `timeout`; true when it held.
  static bool WaitUntil(
      const std::function<bool()>& cond,
      std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return cond();
  }

  std::optional<Job> Find(const std::string& name) {
    auto jobs = ex_->List("default", "");
    if (!jobs.ok()) return std::nullopt;
    for (const Job& j : *jobs)
      if (j.name == name) return j;
    return std::nullopt;
  }

  // Waits until job `name` satisfies `pred`; returns the last seen record.
  Job WaitJob(const std::string& name,
              const std::function<bool(const Job&)>& pred,
              std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    Job last;
    bool ok = WaitUntil(
        [&] {
          auto j = Find(name);
          if (!j) return false;
          last = *j;
          return pred(*j);
        },
        timeout);
    EXPECT_TRUE(ok) << "job " << name << " stuck in "
                    << JobStateName(last.state) << " " << last.reason;
    return last;
  }
  Job WaitState(const std::string& name, JobState s) {
    return WaitJob(name, [s](const Job& j) { return j.state == s; });
  }

  std::string Log(const std::string& name, const std::string& container) {
    auto l = ex_->Logs("default", name, container, 1 << 20);
    return l.ok() ? *l : "";
  }

  std::string tmp_;
  LocalExecutorOptions options_;
  std::unique_ptr<LocalExecutor> ex_;
};

}  // namespace ebb::executors::local

#endif  // EBB_EXECUTORS_LOCAL_LOCAL_EXECUTOR_TEST_UTIL_H_
