// SPDX-License-Identifier: Apache-2.0
//
// File: tests/harness/harness.h
//
// Test-only helpers for integration tests that use real servers on loopback.
//
// RabbitMQ: one broker per test run. scripts/test.sh starts it and exports
// EBB_TEST_AMQP_URL and EBB_TEST_RABBITMQ_MGMT_URL; when they are unset (a test
// binary run by hand), the first call to TestAmqpUrl() starts a private broker
// with scripts/rabbitmq.sh in a temp dir and stops it when the process exits.
// Each test uses its own queue names (UniqueName).
#ifndef EBB_TESTS_HARNESS_HARNESS_H_
#define EBB_TESTS_HARNESS_HARNESS_H_

#include <map>
#include <string>
#include <vector>

namespace ebb::testing {

// The repository root (compile-time EBB_SOURCE_DIR).
std::string SourceDir();
// The build directory's `ebb` binary (compile-time EBB_BINARY).
std::string EbbBinary();

// A fresh, empty directory under $TMPDIR (or /tmp), unique per call.
std::string MakeTempDir(const std::string& prefix);

// "prefix-<random>", for queue names and ids that must not collide across
// tests.
std::string UniqueName(const std::string& prefix);

// amqp://guest:guest@127.0.0.1:PORT/ of the run's broker (see file comment).
std::string TestAmqpUrl();
// http://guest:guest@127.0.0.1:MPORT/ of the same broker.
std::string TestManagementUrl();

// A broker of the test's own (for broker-down/up tests), on the given or free
// ports. Start() blocks until the AMQP port accepts; Stop() until the node is
// gone.
class ScopedRabbitMq {
 public:
  explicit ScopedRabbitMq(int amqp_port = 0);
  ~ScopedRabbitMq();
  bool Start();  // false (with the log path on stderr) if it did not come up
  void Stop();
  int amqp_port() const { return amqp_port_; }
  std::string AmqpUrl() const;
  std::string ManagementUrl() const;

 private:
  std::string dir_;
  int amqp_port_ = 0;
  int mgmt_port_ = 0;
  bool running_ = false;
};

// A free TCP port on 127.0.0.1 (bound and released; racy but fine on loopback).
int FreePort();

// Runs argv (no shell, PATH searched) with this process's environment plus
// `env` (which wins), returns the exit code (128+signal if killed);
// stdout+stderr into *output if given.
int RunCommand(const std::vector<std::string>& argv,
               std::string* output = nullptr,
               const std::map<std::string, std::string>& env = {});

// This process's environment as NAME=VALUE strings, with `extra` set over it.
std::vector<std::string> MergedEnvironment(
    const std::map<std::string, std::string>& extra);

}  // namespace ebb::testing

#endif  // EBB_TESTS_HARNESS_HARNESS_H_
