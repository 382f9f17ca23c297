// SPDX-License-Identifier: Apache-2.0
//
// File: tests/integration/ebb_up_fixture.h
//
// Runs the real `ebb` binary against the run's RabbitMQ: writes the seed's
// manifests with the test's own Secret (its broker) and queue name, an image
// mapping that runs `ebb worker`, and starts `ebb up` on a free port with its
// own data directory. Waiting is condition-based with deadlines, never fixed
// sleeps.
#ifndef EBB_TESTS_INTEGRATION_EBB_UP_FIXTURE_H_
#define EBB_TESTS_INTEGRATION_EBB_UP_FIXTURE_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace ebb::testing {

struct EbbUpConfig {
  std::string amqp_url;  // the broker the Secret points at
  int max_replica_count = 4;
  int polling_interval = 5;
  std::string strategy;  // "" = as the seed (default)
  // EBB_SIM_*, ...; EBB_MODEL defaults to "sim" (the procedural stand-in:
  // these tests are about scaling and delivery, not the bundled model).
  std::map<std::string, std::string> worker_env;
  int backoff_limit = 4;
  // `ebb up` with no manifests: the embedded queue and the built-in ScaledJob
  // (max_replica_count becomes --max-jobs; worker_env becomes --worker-env).
  bool single_node = false;
  // --store (default: a results directory of the test's own).
  std::string store;
  // Text replacements applied to the seed's manifests (after the fixture's
  // own).
  std::vector<std::pair<std::string, std::string>> manifest_edits;
  // Environment variables set for `ebb up` (and so for nothing else).
  std::map<std::string, std::string> env;
};

class EbbUp {
 public:
  explicit EbbUp(EbbUpConfig config);
  ~EbbUp();  // kills `ebb up` and every job it started

  // Starts `ebb up` and waits for /healthz. false when it did not come up.
  bool Start();
  // SIGKILL to `ebb up` only (jobs keep running).
  void Kill();
  // Sends `sig` to `ebb up` without waiting.
  void Signal(int sig);
  // SIGTERM/SIGINT and wait for exit; returns the exit code.
  int Interrupt(int sig);

  const std::string& queue() const { return queue_; }
  const std::string& store_dir() const { return store_dir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& manifests() const { return manifests_; }
  std::string server() const;
  std::string log() const;    // `ebb up`'s stderr so far
  std::string Token() const;  // the API token from the data directory

  // POST /api/v1/requests; returns the ids (empty on failure, with *error).
  std::vector<std::string> Submit(const nlohmann::json& body,
                                  std::string* error = nullptr);
  // GET a JSON path of the API; null on failure.
  nlohmann::json Get(const std::string& path) const;
  // GET a text path (e.g. /metrics); "" on failure.
  std::string GetText(const std::string& path) const;
  // Unfinished jobs (from the data directory's job states, via the API).
  int UnfinishedJobs() const;

  // ids with a <id>.json record in the store.
  std::set<std::string> Records() const;
  nlohmann::json Record(const std::string& id) const;

  // Runs the ebb binary with args (no shell); returns exit code, output in
  // *out.
  int Ebb(const std::vector<std::string>& args, std::string* out) const;

  // pids of `ebb worker` processes of this instance (found by EBB_STORE in
  // /proc).
  std::vector<pid_t> WorkerPids() const;

 private:
  EbbUpConfig config_;
  std::string dir_, data_dir_, store_dir_, manifests_, images_, queue_,
      log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Polls `pred` every 10 ms until true or `limit` passes.
bool WaitUntil(const std::function<bool()>& pred, absl::Duration limit);

}  // namespace ebb::testing

#endif  // EBB_TESTS_INTEGRATION_EBB_UP_FIXTURE_H_
