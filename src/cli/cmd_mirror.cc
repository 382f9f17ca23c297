// SPDX-License-Identifier: Apache-2.0
// `ebb mirror SRC DST`: the seed's `mc mirror --exclude working` sidecar, over
// any two object stores (storage/mirror/mirror.h).
#include <signal.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "common/log.h"
#include "common/secrets.h"
#include "storage/mirror/mirror.h"
#include "storage/object_store.h"

namespace ebb::cli {
namespace {

using storage::MirrorAction;
using storage::MirrorStats;

nlohmann::json StatsJson(const MirrorStats& s) {
  nlohmann::json actions = nlohmann::json::array();
  for (const MirrorAction& a : s.actions) {
    bool copy = a.kind == MirrorAction::Kind::kCopy;
    actions.push_back({{"action", copy ? "copy" : "remove"},
                       {"key", a.key},
                       {"bytes", a.bytes},
                       {"reason", a.reason}});
  }
  return {{"copied", s.copied},   {"skipped", s.skipped},
          {"removed", s.removed}, {"excluded", s.excluded},
          {"bytes", s.bytes},     {"actions", actions}};
}

void PrintActions(const MirrorStats& s, bool dry_run) {
  const char* pre = dry_run ? "would " : "";
  for (const MirrorAction& a : s.actions) {
    if (a.kind == MirrorAction::Kind::kCopy) {
      std::cout << pre << "copy   " << a.key << " (" << a.bytes << " bytes, "
                << a.reason << ")\n";
    } else {
      std::cout << pre << "remove " << a.key << "\n";
    }
  }
}

std::string Summary(const MirrorStats& s, bool dry_run) {
  return absl::StrCat(s.copied, dry_run ? " to copy (" : " copied (", s.bytes,
                      " bytes), ", s.skipped, " unchanged, ", s.removed,
                      dry_run ? " to remove, " : " removed, ", s.excluded,
                      " excluded");
}

// Requests `stop` on SIGINT/SIGTERM until destroyed. A shell starts
// background jobs with SIGINT ignored, and an ignored signal is discarded even
// while blocked, so the defaults are restored first (as `ebb up` does).
class SignalStopper {
 public:
  explicit SignalStopper(std::stop_source stop) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::jthread([this, stop](std::stop_token self) mutable {
      const timespec tick{0, 100'000'000};
      while (!self.stop_requested()) {
        int sig = sigtimedwait(&set_, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
          EBB_LOG_INFO("mirror: {} received, stopping after this pass",
                       sig == SIGINT ? "SIGINT" : "SIGTERM");
          stop.request_stop();
          return;
        }
      }
    });
  }
  ~SignalStopper() {
    thread_.request_stop();
    thread_.join();
  }

 private:
  sigset_t set_;
  std::jthread thread_;
};

}  // namespace

int RunMirror(const MirrorOptions& o) {
  if (!(o.interval_s > 0)) {
    std::cerr << "error: --interval must be a positive number of seconds\n";
    return kExitUsage;
  }
  auto src = storage::OpenObjectStore(o.source);
  if (!src.ok()) {
    std::cerr << "error: source " << MaskUrlCredentials(o.source) << ": "
              << MaskUrlCredentials(std::string(src.status().message()))
              << "\n";
    return kExitFailure;
  }
  auto dst = storage::OpenObjectStore(o.destination);
  if (!dst.ok()) {
    std::cerr << "error: destination " << MaskUrlCredentials(o.destination)
              << ": " << MaskUrlCredentials(std::string(dst.status().message()))
              << "\n";
    return kExitFailure;
  }
  const std::string src_name = (*src)->Describe();
  const std::string dst_name = (*dst)->Describe();

  storage::MirrorOptions options;
  options.exclude = o.exclude;
  options.remove = o.remove;
  options.once_when = o.once_when;
  options.dry_run = o.dry_run;
  storage::MirrorLoopOptions loop;
  loop.watch = o.watch;
  loop.interval = absl::Seconds(o.interval_s);
  const bool json = o.output == "json";
  int passes = 0;
  loop.on_pass = [&](const MirrorStats& pass) {
    ++passes;
    if (json) {
      if (!o.watch) return;  // one object at the end
      nlohmann::json j = StatsJson(pass);
      j["pass"] = passes;
      std::cout << j.dump() << std::endl;
      return;
    }
    PrintActions(pass, o.dry_run);
    if (o.watch && !pass.actions.empty()) {
      std::cout << "pass " << passes << ": " << Summary(pass, o.dry_run)
                << std::endl;
    }
    std::cout.flush();
  };
  loop.on_error = [&](const absl::Status& error) {
    EBB_LOG_WARN("mirror {} -> {}: pass failed, retrying in {}s: {}", src_name,
                 dst_name, o.interval_s, MaskUrlCredentials(error.ToString()));
  };
  if (!o.once_when.empty()) {
    EBB_LOG_INFO("mirror: waiting until {} holds objects matching {}", src_name,
                 absl::StrJoin(o.once_when, ", "));
  }

  std::stop_source stop;
  absl::StatusOr<MirrorStats> total;
  {
    SignalStopper stopper(stop);
    total = storage::MirrorLoop(**src, **dst, options, loop, stop.get_token());
  }
  if (!total.ok()) {
    std::cerr << "error: mirror " << src_name << " -> " << dst_name << ": "
              << MaskUrlCredentials(total.status().ToString()) << "\n";
    return kExitFailure;
  }
  if (json) {
    nlohmann::json j = StatsJson(*total);
    j["source"] = src_name;
    j["destination"] = dst_name;
    j["dry_run"] = o.dry_run;
    if (o.watch) {
      j["passes"] = passes;
      j.erase("actions");  // already printed pass by pass
    }
    std::cout << j.dump() << "\n";
  } else if (o.watch) {
    std::cout << (o.dry_run ? "dry run " : "") << "mirror " << src_name
              << " -> " << dst_name << " stopped after " << passes
              << " passes: " << total->copied << " copied (" << total->bytes
              << " bytes), " << total->removed << " removed\n";
  } else {
    std::cout << (o.dry_run ? "dry run " : "") << "mirror " << src_name
              << " -> " << dst_name << ": " << Summary(*total, o.dry_run)
              << "\n";
  }
  return kExitOk;
}

}  // namespace ebb::cli
