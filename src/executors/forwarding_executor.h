// SPDX-License-Identifier: Apache-2.0
//
// File: executors/forwarding_executor.h
//
// An Executor that passes every call on to another one unchanged: the base of
// decorators, which override only the calls they change (a namespace filter,
// a gate on Create, timing in a benchmark).
//
// Threading: as the wrapped executor.
#ifndef EBB_EXECUTORS_FORWARDING_EXECUTOR_H_
#define EBB_EXECUTORS_FORWARDING_EXECUTOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "executors/executor.h"

namespace ebb::executors {

class ForwardingExecutor : public Executor {
 public:
  // `inner` must outlive this.
  explicit ForwardingExecutor(Executor& inner) : inner_(inner) {}

  absl::StatusOr<Job> Create(const JobRequest& request) override {
    return inner_.Create(request);
  }
  absl::StatusOr<std::vector<Job>> List(
      const std::string& ns, const std::string& scaled_job) override {
    return inner_.List(ns, scaled_job);
  }
  absl::Status Delete(const std::string& ns, const std::string& name,
                      bool foreground) override {
    return inner_.Delete(ns, name, foreground);
  }
  absl::StatusOr<std::string> Logs(const std::string& ns,
                                   const std::string& name,
                                   const std::string& container,
                                   int64_t max_bytes) override {
    return inner_.Logs(ns, name, container, max_bytes);
  }

 protected:
  Executor& inner() { return inner_; }

 private:
  Executor& inner_;
};

}  // namespace ebb::executors

#endif  // EBB_EXECUTORS_FORWARDING_EXECUTOR_H_
