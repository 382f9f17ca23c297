// SPDX-License-Identifier: Apache-2.0
//
// File: tests/s3/s3_fixture.h
//
// S3Peer: a real S3-compatible server for tests, on free loopback ports with
// its own temp directory: s3rver (npm, tests/s3/s3rver.mjs) with bucket
// "images" and the key pairs access/secret and S3RVER/S3RVER, and in front of
// it tests/s3/sigv4_proxy.py, which recomputes every request's SigV4
// signature with botocore and refuses mismatches (s3rver checks none).
// Tests talk to ProxyEndpoint(); DirectEndpoint() skips the verification
// (benchmarks, connection-refused tests). AwsCli runs the AWS CLI
// (/usr/bin/aws, Debian's awscli) against the proxy.
//
// Requires node with node_modules/s3rver and /usr/bin/aws with its botocore
// (scripts/setup.sh installs both). Not thread-safe: one test thread drives
// it; the servers themselves take concurrent requests.
#ifndef EBB_TESTS_S3_S3_FIXTURE_H_
#define EBB_TESTS_S3_S3_FIXTURE_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "storage/s3/s3_options.h"

namespace ebb::testing {

class S3Peer {
 public:
  static constexpr char kBucket[] = "images";
  static constexpr char kAccessKey[] = "access";
  static constexpr char kSecretKey[] = "secret";

  S3Peer();
  ~S3Peer();  // stops both servers, removes the directory
  S3Peer(const S3Peer&) = delete;
  S3Peer& operator=(const S3Peer&) = delete;

  // Starts s3rver, then the proxy; true once both accept connections (false
  // with the logs on stderr otherwise).
  bool Start();
  // Stops s3rver (SIGKILL: as if it crashed) and waits until it is gone; the
  // proxy stays up and answers 503. Its data stay in the directory.
  void StopS3rver();
  // Starts s3rver again on the same port and directory.
  bool StartS3rver();
  bool s3rver_running() const { return s3rver_pid_ > 0; }

  std::string ProxyEndpoint() const;   // http://127.0.0.1:PROXY
  std::string DirectEndpoint() const;  // http://127.0.0.1:S3RVER
  // The proxy's log (each rejected request with its canonical request).
  std::string ProxyLog() const;
  const std::string& dir() const { return dir_; }

  // Options for an S3ObjectStore on bucket "images" with access/secret via
  // the proxy (or directly), with short backoffs for tests.
  storage::S3Options Options(bool via_proxy = true) const;

  // Runs `/usr/bin/aws --endpoint-url ENDPOINT args...` (ENDPOINT: the
  // proxy unless given) with AWS_ACCESS_KEY_ID/SECRET set and no user
  // config; returns the exit code, stdout+stderr in *output.
  int AwsCli(const std::vector<std::string>& args, std::string* output,
             const std::string& secret = kSecretKey,
             const std::string& endpoint = "") const;

 private:
  bool StartProxy();
  std::string dir_;
  int s3rver_port_ = 0;
  int proxy_port_ = 0;
  pid_t s3rver_pid_ = -1;
  pid_t proxy_pid_ = -1;
};

// Starts argv[0] (PATH lookup) with `env` added to the environment, stdout
// and stderr appended to `log`; returns the pid or -1.
pid_t SpawnProcess(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env,
                   const std::string& log);
// Like harness RunCommand, with `env` added to the environment.
int RunWithEnv(const std::vector<std::string>& argv,
               const std::map<std::string, std::string>& env,
               std::string* output);
// Sends `sig` to `pid` and reaps it (SIGKILL after 10 s).
void StopProcess(pid_t pid, int sig);
// True once 127.0.0.1:port accepts a connection; false when process `pid`
// exits first or after `timeout_s`.
bool WaitForPort(int port, pid_t pid, double timeout_s);

}  // namespace ebb::testing

#endif  // EBB_TESTS_S3_S3_FIXTURE_H_
