// SPDX-License-Identifier: Apache-2.0
#include "controller/controller.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/ids.h"
#include "common/log.h"
#include "spec/resolve.h"

namespace ebb::controller {

struct Controller::Loop {
  std::unique_ptr<ScaleLoop> scale_loop;
  std::vector<std::string> queues;  // queues its triggers watch
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool wake = false;
  bool stop = false;
  std::string wake_cause = "wake";
  std::function<void(const std::string&, const PollRecord&)> on_poll;
};

namespace {

// Builds the TriggerBindings of `job`. Each binding owns copies of what its
// scaler needs, so rebuilding later does not depend on the caller's objects.
absl::StatusOr<std::vector<TriggerBinding>> BindTriggers(
    const spec::ScaledJob& job, const spec::Manifests& manifests,
    const scalers::ScalerRegistry& registry, std::vector<std::string>* queues) {
  std::vector<TriggerBinding> bindings;
  auto job_copy = std::make_shared<spec::ScaledJob>(job);
  for (size_t i = 0; i < job.triggers.size(); ++i) {
    const spec::ScaleTrigger& trigger = job.triggers[i];
    const std::string label =
        trigger.name.empty() ? trigger.type : trigger.name;
    const scalers::ScalerFactory* factory = registry.Find(trigger.type);
    if (!factory) {
      return absl::InvalidArgumentError(
          absl::StrCat("scaledjob ", job.name, " trigger ", label,
                       ": unknown trigger type \"", trigger.type, "\""));
    }
    auto auth = spec::ResolveAuthParams(job, trigger, manifests);
    if (!auth.ok()) {
      return absl::Status(auth.status().code(),
                          absl::StrCat("scaledjob ", job.name, " trigger ",
                                       label, ": ", auth.status().message()));
    }
    std::map<std::string, std::string> env;
    if (auto c = spec::EnvSourceContainer(job); c.ok()) {
      auto resolved = spec::ResolveContainerEnv(**c, job.namespace_, manifests);
      if (resolved.ok()) env = *resolved;
    }
    auto ctx = std::make_shared<scalers::ScalerContext>();
    ctx->scaled_job = job_copy.get();
    ctx->trigger = &job_copy->triggers[i];
    ctx->trigger_index = static_cast<int>(i);
    ctx->auth_params = std::move(*auth);
    ctx->resolved_env = std::move(env);
    if (absl::Status s = factory->Validate(*ctx); !s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("scaledjob ", job.name, " trigger ", label,
                                 ": ", s.message()));
    }
    if (std::string q = factory->QueueName(*ctx); !q.empty())
      queues->push_back(q);
    bindings.push_back(TriggerBinding{
        .name = label,
        .type = trigger.type,
        .index = static_cast<int>(i),
        .build = [factory, ctx, job_copy]() { return factory->Create(*ctx); },
    });
  }
  return bindings;
}

}  // namespace

Controller::Controller(const scalers::ScalerRegistry& registry,
                       executors::Executor& executor,
                       metrics::Registry& metrics, ControllerOptions options)
    : registry_(registry),
      executor_(executor),
      metrics_(metrics),
      options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Controller>> Controller::Create(
    std::shared_ptr<const spec::Manifests> manifests,
    const scalers::ScalerRegistry& registry, executors::Executor& executor,
    metrics::Registry& metrics, ControllerOptions options) {
  std::unique_ptr<Controller> c(
      new Controller(registry, executor, metrics, std::move(options)));
  for (const spec::ScaledJob& job : manifests->scaled_jobs) {
    auto loop = c->MakeLoop(job, manifests);
    if (!loop.ok()) return loop.status();
    c->loops_[job.name] = std::move(loop).value();
  }
  c->manifests_ = std::move(manifests);
  return c;
}

absl::StatusOr<std::unique_ptr<Controller::Loop>> Controller::MakeLoop(
    const spec::ScaledJob& job,
    std::shared_ptr<const spec::Manifests> manifests) {
  auto loop = std::make_unique<Loop>();
  loop->on_poll = options_.on_poll;
  auto bindings = BindTriggers(job, *manifests, registry_, &loop->queues);
  if (!bindings.ok()) return bindings.status();
  // Jobs learn the queue their trigger watches, so a worker takes from the
  // queue that scaled it (unless its own env says otherwise).
  ScaleLoopOptions loop_options = options_.loop;
  if (!loop->queues.empty())
    loop_options.extra_env["EBB_TRIGGER_QUEUE"] = loop->queues[0];
  loop->scale_loop = std::make_unique<ScaleLoop>(
      job, manifests, std::move(bindings).value(), executor_, *Clock::Real(),
      metrics_, loop_options);
  return loop;
}

Controller::~Controller() { Stop(); }

void Controller::RunLoop(Loop* loop) {
  ScaleLoop& sl = *loop->scale_loop;
  const absl::Duration interval =
      absl::Seconds(std::max<int64_t>(1, sl.job().polling_interval));
  absl::Time next = absl::Now();
  std::string cause = "start";
  EBB_LOG_INFO("scaledjob {}: scale loop started (pollingInterval {}s)",
               sl.job().name, sl.job().polling_interval);
  sl.RolloutOldGenerations();
  while (true) {
    PollRecord record = sl.Poll(cause);
    if (loop->on_poll) loop->on_poll(sl.job().name, record);
    const absl::Time now = absl::Now();
    while (next <= now) next += interval;
    std::unique_lock<std::mutex> lock(loop->mu);
    const auto deadline = absl::ToChronoTime(next);
    loop->cv.wait_until(lock, deadline,
                        [&] { return loop->wake || loop->stop; });
    if (loop->stop) break;
    if (loop->wake) {
      cause = loop->wake_cause;
      loop->wake = false;
      loop->wake_cause = "wake";
    } else {
      cause = "interval";
    }
  }
  EBB_LOG_INFO("scaledjob {}: scale loop stopped", sl.job().name);
}

void Controller::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  for (auto& [name, loop] : loops_) {
    Loop* l = loop.get();
    {
      std::lock_guard<std::mutex> guard(l->mu);
      l->stop = false;  // a restart after Stop()
      l->wake = false;
    }
    l->thread = std::thread([l] { RunLoop(l); });
  }
}

void Controller::Stop() {
  std::map<std::string, std::unique_ptr<Loop>> loops;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return;
    for (auto& [name, loop] : loops_) {
      std::lock_guard<std::mutex> l(loop->mu);
      loop->stop = true;
      loop->cv.notify_all();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, loop] : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  started_ = false;
}

void Controller::Wake(const std::string& scaled_job) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, loop] : loops_) {
    if (!scaled_job.empty() && name != scaled_job) continue;
    std::lock_guard<std::mutex> l(loop->mu);
    loop->wake = true;
    loop->cv.notify_all();
  }
}

void Controller::WakeQueue(const std::string& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, loop] : loops_) {
    if (std::find(loop->queues.begin(), loop->queues.end(), queue) ==
        loop->queues.end()) {
      continue;
    }
    std::lock_guard<std::mutex> l(loop->mu);
    loop->wake = true;
    loop->cv.notify_all();
  }
}

absl::Status Controller::Reload(
    std::shared_ptr<const spec::Manifests> manifests,
    const std::set<std::string>* restart) {
  std::set<std::string> kept;  // existing loops left as they are
  if (restart != nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const spec::ScaledJob& job : manifests->scaled_jobs) {
      if (loops_.count(job.name) && !restart->count(job.name)) {
        kept.insert(job.name);
      }
    }
  }
  // Build everything first, so a bad reload changes nothing.
  std::map<std::string, std::unique_ptr<Loop>> fresh;
  for (const spec::ScaledJob& job : manifests->scaled_jobs) {
    if (kept.count(job.name)) continue;
    auto loop = MakeLoop(job, manifests);
    if (!loop.ok()) return loop.status();
    fresh[job.name] = std::move(loop).value();
  }
  std::vector<std::unique_ptr<Loop>> retired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = loops_.begin(); it != loops_.end();) {
      if (!fresh.count(it->first) && !kept.count(it->first)) {
        {
          std::lock_guard<std::mutex> l(it->second->mu);
          it->second->stop = true;
          it->second->cv.notify_all();
        }
        retired.push_back(std::move(it->second));
        it = loops_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [name, loop] : fresh) {
      auto existing = loops_.find(name);
      if (existing != loops_.end()) {
        // Stop the old thread and start a fresh one with the new spec: KEDA
        // restarts the loop (and polls at once) on every reconcile.
        {
          std::lock_guard<std::mutex> l(existing->second->mu);
          existing->second->stop = true;
          existing->second->cv.notify_all();
        }
        retired.push_back(std::move(existing->second));
      }
      loops_[name] = std::move(loop);
    }
    manifests_ = manifests;
  }
  for (auto& loop : retired) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) {
    for (auto& [name, loop] : loops_) {
      if (loop->thread.joinable()) continue;
      Loop* l = loop.get();
      l->thread = std::thread([l] { RunLoop(l); });
    }
  }
  EBB_LOG_INFO("reloaded manifests: {} ScaledJob(s), {} loop(s) (re)started",
               loops_.size(), fresh.size());
  return absl::OkStatus();
}

std::vector<ScaleLoop::Snapshot> Controller::Snapshots(
    size_t max_records) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ScaleLoop::Snapshot> out;
  for (const auto& [name, loop] : loops_)
    out.push_back(loop->scale_loop->GetSnapshot(max_records));
  return out;
}

std::vector<std::string> Controller::ScaledJobNames() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, loop] : loops_) out.push_back(name);
  return out;
}

std::shared_ptr<const spec::Manifests> Controller::manifests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return manifests_;
}

int64_t TrackGeneration(const std::string& state_dir,
                        const spec::ScaledJob& job) {
  const std::string path = absl::StrCat(state_dir, "/scaledjobs/",
                                        job.namespace_, "/", job.name, ".json");
  const std::string hash =
      absl::StrCat(StableHash(job.job_target_ref.raw_yaml));
  int64_t generation = 1;
  if (auto text = ReadFile(path); text.ok()) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_discarded() && j.contains("generation") &&
        j.contains("template_hash")) {
      generation = j["generation"].get<int64_t>();
      if (j["template_hash"].get<std::string>() == hash) return generation;
      ++generation;
    }
  }
  nlohmann::json out = {{"generation", generation}, {"template_hash", hash}};
  if (absl::Status s = WriteFileAtomic(path, out.dump()); !s.ok()) {
    EBB_LOG_WARN("cannot record generation of scaledjob {}: {}", job.name,
                 s.ToString());
  }
  return generation;
}

}  // namespace ebb::controller
