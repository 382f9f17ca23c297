// SPDX-License-Identifier: Apache-2.0
//
// The API server double answers as a real server does: plain HTTP clients
// (cpp-httplib here) see the same codes, Status bodies and watch streams.
#include "executors/kubernetes/testing/fake_api_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <thread>

namespace ebb::executors::kubernetes::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kJobs[] = "/apis/batch/v1/namespaces/ns/jobs";

Json MinimalJob(const std::string& generate_name) {
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"generateName", generate_name},
            {"labels", {{"scaledjob.keda.sh/name", "sd"}}}}},
          {"spec",
           {{"template",
             {{"spec",
               {{"restartPolicy", "Never"},
                {"containers", {{{"name", "w"}, {"image", "img"}}}}}}}}}}};
}

// Reads a watch stream on a thread; events are parsed per line.
class WatchReader {
 public:
  WatchReader(const std::string& url, const std::string& path) : cli_(url) {
    cli_.set_read_timeout(30, 0);
    thread_ = std::thread([this, path] {
      cli_.Get(path, [this](const char* data, size_t n) {
        std::lock_guard<std::mutex> lock(mu_);
        buffer_.append(data, n);
        size_t nl;
        while ((nl = buffer_.find('\n')) != std::string::npos) {
          events_.push_back(Json::parse(buffer_.substr(0, nl)));
          buffer_.erase(0, nl + 1);
        }
        cv_.notify_all();
        return !stop_;
      });
      std::lock_guard<std::mutex> lock(mu_);
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~WatchReader() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cli_.stop();
    thread_.join();
  }
  // Waits (10 s at most) for the n-th event (1-based).
  std::optional<Json> Event(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10),
                 [&] { return events_.size() >= n || ended_; });
    if (events_.size() < n) return std::nullopt;
    return events_[n - 1];
  }
  bool WaitEnded() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return ended_; });
  }

 private:
  httplib::Client cli_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buffer_;
  std::vector<Json> events_;
  bool stop_ = false;
  bool ended_ = false;
  std::thread thread_;
};

class FakeApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start().ok()); }
  httplib::Client Client() { return httplib::Client(server_.url()); }
  FakeApiServer server_;
};

TEST_F(FakeApiServerTest, CreateWithGenerateNameAssignsNameUidAndVersion) {
  auto cli = Client();
  auto res = cli.Post(kJobs, MinimalJob("sd-").dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201);
  Json job = Json::parse(res->body);
  EXPECT_THAT(job["metadata"]["name"].get<std::string>(), StartsWith("sd-"));
  EXPECT_EQ(job["metadata"]["name"].get<std::string>().size(), 8u);
  EXPECT_FALSE(job["metadata"]["uid"].get<std::string>().empty());
  EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"]["job-name"],
            job["metadata"]["name"]);
  auto list = cli.Get(std::string(kJobs) +
                      "?labelSelector=scaledjob.keda.sh%2Fname%3Dsd");
  ASSERT_TRUE(list);
  Json body = Json::parse(list->body);
  EXPECT_EQ(body["kind"], "JobList");
  ASSERT_EQ(body["items"].size(), 1u);
  EXPECT_EQ(body["metadata"]["resourceVersion"],
            job["metadata"]["resourceVersion"]);
  auto none = cli.Get(std::string(kJobs) + "?labelSelector=x%3Dy");
  EXPECT_TRUE(Json::parse(none->body)["items"].empty());
}

TEST_F(FakeApiServerTest, ErrorsCarryRealStatusBodies) {
  auto cli = Client();
  auto missing = cli.Get(std::string(kJobs) + "/nope");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Json::parse(missing->body)["message"],
            "jobs.batch \"nope\" not found");

  Json named = MinimalJob("");
  named["metadata"]["name"] = "fixed";
  EXPECT_EQ(cli.Post(kJobs, named.dump(), "application/json")->status, 201);
  auto dup = cli.Post(kJobs, named.dump(), "application/json");
  EXPECT_EQ(dup->status, 409);
  EXPECT_EQ(Json::parse(dup->body)["reason"], "AlreadyExists");

  Json bad = MinimalJob("sd-");
  bad["spec"]["template"]["spec"].erase("restartPolicy");
  auto invalid = cli.Post(kJobs, bad.dump(), "application/json");
  EXPECT_EQ(invalid->status, 422);
  Json status = Json::parse(invalid->body);
  EXPECT_EQ(status["reason"], "Invalid");
  EXPECT_EQ(status["details"]["causes"][0]["field"],
            "spec.template.spec.restartPolicy");

  server_.Deny("list", "jobs");
  auto denied = cli.Get(kJobs);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(Json::parse(denied->body)["message"],
            "jobs.batch is forbidden: User \"system:serviceaccount:ebb:ebb\" "
            "cannot list resource \"jobs\" in API group \"batch\" in the "
            "namespace \"ns\"");

  server_.FailNext("create", "jobs", 429, 1, 7);
  auto throttled =
      cli.Post(kJobs, MinimalJob("sd-").dump(), "application/json");
  EXPECT_EQ(throttled->status, 429);
  EXPECT_EQ(throttled->get_header_value("Retry-After"), "7");
  EXPECT_EQ(
      cli.Post(kJobs, MinimalJob("sd-").dump(), "application/json")->status,
      201);
  server_.FailNext("", "", 503);
  EXPECT_EQ(cli.Get(std::string(kJobs) + "/fixed")->status, 503);
  EXPECT_EQ(server_.Requests("create", "jobs"), 5);
}

constexpr char kScaledJobs[] =
    "/apis/keda.sh/v1alpha1/namespaces/ns/scaledjobs";

Json ScaledJob(const std::string& image) {
  return {{"apiVersion", "keda.sh/v1alpha1"},
          {"kind", "ScaledJob"},
          {"metadata", {{"name", "sj"}}},
          {"spec", {{"jobTargetRef", {{"image", image}}}}}};
}

// An update with a stale resourceVersion is a 409 Conflict; the object's
// uid and creationTimestamp survive a replace.
TEST_F(FakeApiServerTest, UpdateWithStaleResourceVersionConflicts) {
  auto cli = Client();
  Json created = Json::parse(
      cli.Post(kScaledJobs, ScaledJob("a").dump(), "application/json")->body);
  const std::string path = std::string(kScaledJobs) + "/sj";
  Json next = created;
  next["spec"]["jobTargetRef"]["image"] = "b";
  auto ok = cli.Put(path, next.dump(), "application/json");
  ASSERT_EQ(ok->status, 200) << ok->body;
  Json stored = Json::parse(ok->body);
  EXPECT_EQ(stored["metadata"]["uid"], created["metadata"]["uid"]);
  EXPECT_NE(stored["metadata"]["resourceVersion"],
            created["metadata"]["resourceVersion"]);
  auto stale = cli.Put(path, next.dump(), "application/json");
  EXPECT_EQ(stale->status, 409);
  EXPECT_EQ(Json::parse(stale->body)["reason"], "Conflict");
  EXPECT_THAT(Json::parse(stale->body)["message"].get<std::string>(),
              HasSubstr("the object has been modified"));
}

// A CRD with a status subresource: spec changes bump metadata.generation,
// status and metadata changes do not; .../status changes only the status and
// an update of the object cannot change it.
TEST_F(FakeApiServerTest, StatusSubresourceAndGeneration) {
  auto cli = Client();
  cli.Post(kScaledJobs, ScaledJob("a").dump(), "application/json");
  const std::string path = std::string(kScaledJobs) + "/sj";
  auto get = [&] { return Json::parse(cli.Get(path)->body); };
  EXPECT_EQ(get()["metadata"]["generation"], 1);

  Json status = {
      {"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}},
      {"spec", {{"jobTargetRef", {{"image", "ignored"}}}}}};
  auto patched = cli.Patch(path + "/status", status.dump(),
                           "application/merge-patch+json");
  ASSERT_EQ(patched->status, 200) << patched->body;
  EXPECT_EQ(get()["status"]["conditions"][0]["status"], "True");
  EXPECT_EQ(get()["spec"]["jobTargetRef"]["image"], "a");
  EXPECT_EQ(get()["metadata"]["generation"], 1);

  Json annotate = {
      {"metadata", {{"annotations", {{"autoscaling.keda.sh/paused", "true"}}}}},
      {"status", nullptr}};
  ASSERT_EQ(
      cli.Patch(path, annotate.dump(), "application/merge-patch+json")->status,
      200);
  EXPECT_EQ(get()["metadata"]["generation"], 1);
  EXPECT_EQ(get()["status"]["conditions"][0]["type"], "Ready");

  Json replaced = get();
  replaced["spec"]["jobTargetRef"]["image"] = "b";
  ASSERT_EQ(cli.Put(path, replaced.dump(), "application/json")->status, 200);
  EXPECT_EQ(get()["metadata"]["generation"], 2);
  EXPECT_EQ(get()["metadata"]["annotations"]["autoscaling.keda.sh/paused"],
            "true");

  auto strategic = cli.Patch(path, annotate.dump(),
                             "application/strategic-merge-patch+json");
  EXPECT_EQ(strategic->status, 415);
  EXPECT_EQ(cli.Patch(std::string(kScaledJobs) + "/nope", "{}",
                      "application/merge-patch+json")
                ->status,
            404);
  EXPECT_EQ(server_.Requests("patch", "scaledjobs/status"), 1);
  EXPECT_EQ(server_.Requests("patch", "scaledjobs"), 3);
}

TEST(FakeApiServerAuthTest, WrongOrMissingTokenIsUnauthorized) {
  FakeApiServerOptions options;
  options.token = "s3cret";
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start().ok());
  httplib::Client cli(server.url());
  EXPECT_EQ(cli.Get(kJobs)->status, 401);
  EXPECT_EQ(cli.Get(kJobs, {{"Authorization", "Bearer s3cret"}})->status, 200);
}

TEST_F(FakeApiServerTest, WatchStreamsChangesAfterTheListAndBookmarks) {
  auto cli = Client();
  Json list = Json::parse(cli.Get(kJobs)->body);
  const std::string rv = list["metadata"]["resourceVersion"];
  WatchReader watch(server_.url(), std::string(kJobs) +
                                       "?watch=1&allowWatchBookmarks=true" +
                                       "&resourceVersion=" + rv);
  auto created = Json::parse(
      cli.Post(kJobs, MinimalJob("sd-").dump(), "application/json")->body);
  auto added = watch.Event(1);
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)["type"], "ADDED");
  EXPECT_EQ((*added)["object"]["metadata"]["name"],
            created["metadata"]["name"]);
  server_.SendBookmarks();
  auto bookmark = watch.Event(2);
  ASSERT_TRUE(bookmark);
  EXPECT_EQ((*bookmark)["type"], "BOOKMARK");
  EXPECT_EQ((*bookmark)["object"]["metadata"]["resourceVersion"],
            created["metadata"]["resourceVersion"]);
  const std::string name = created["metadata"]["name"];
  cli.Delete(std::string(kJobs) + "/" + name);
  auto deleted = watch.Event(3);
  ASSERT_TRUE(deleted);
  EXPECT_EQ((*deleted)["type"], "DELETED");
}

TEST_F(FakeApiServerTest, WatchFromACompactedVersionEndsWith410Expired) {
  auto cli = Client();
  cli.Post(kJobs, MinimalJob("sd-").dump(), "application/json");
  server_.store().Compact();
  WatchReader watch(server_.url(),
                    std::string(kJobs) + "?watch=1&resourceVersion=1");
  auto error = watch.Event(1);
  ASSERT_TRUE(error);
  EXPECT_EQ((*error)["type"], "ERROR");
  EXPECT_EQ((*error)["object"]["code"], 410);
  EXPECT_THAT((*error)["object"]["message"].get<std::string>(),
              HasSubstr("too old resource version"));
  EXPECT_TRUE(watch.WaitEnded());
}

TEST_F(FakeApiServerTest, DroppedWatchEndsTheStreamAndRestartKeepsObjects) {
  auto cli = Client();
  cli.Post(kJobs, MinimalJob("sd-").dump(), "application/json");
  {
    WatchReader watch(server_.url(), std::string(kJobs) + "?watch=1");
    ASSERT_TRUE(watch.Event(1));  // the synthetic ADDED of the existing job
    server_.DropWatches();
    EXPECT_TRUE(watch.WaitEnded());
  }
  const int64_t rv = server_.store().resource_version();
  ASSERT_TRUE(server_.Restart().ok());
  auto after = httplib::Client(server_.url()).Get(kJobs);
  ASSERT_TRUE(after);
  EXPECT_EQ(Json::parse(after->body)["items"].size(), 1u);
  EXPECT_FALSE(server_.store().CheckWatchable(rv - 1).ok());
}

TEST(FakeApiServerGcTest, ForegroundDeleteWaitsForDependentPods) {
  FakeApiServerOptions options;
  options.graceful_pod_deletion = true;
  FakeApiServer server(options);
  ASSERT_TRUE(server.Start().ok());
  auto job = server.store().Create("jobs", "ns", MinimalJob("sd-"));
  ASSERT_TRUE(job.ok());
  const std::string name = (*job)["metadata"]["name"];
  server.store().Put(
      "pods", "ns",
      {{"metadata",
        {{"name", name + "-p"},
         {"ownerReferences", {{{"uid", (*job)["metadata"]["uid"]}}}}}},
       {"status", {{"phase", "Running"}}}});
  httplib::Client cli(server.url());
  auto res =
      cli.Delete(std::string(kJobs) + "/" + name,
                 R"({"propagationPolicy":"Foreground"})", "application/json");
  EXPECT_EQ(res->status, 200);
  auto still = server.store().Get("jobs", "ns", name);
  ASSERT_TRUE(still);
  EXPECT_TRUE((*still)["metadata"].contains("deletionTimestamp"));
  ASSERT_TRUE(server.store().Remove("pods", "ns", name + "-p"));
  EXPECT_FALSE(server.store().Get("jobs", "ns", name));
}

constexpr char kLeases[] = "/apis/coordination.k8s.io/v1/namespaces/ns/leases";

Json Lease(const std::string& holder) {
  return {{"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata", {{"name", "ebb"}}},
          {"spec", {{"holderIdentity", holder}, {"leaseDurationSeconds", 15}}}};
}

TEST_F(FakeApiServerTest, LeasePutWithAStaleResourceVersionIsAConflict) {
  auto cli = Client();
  auto created = cli.Post(kLeases, Lease("a").dump(), "application/json");
  ASSERT_EQ(created->status, 201);
  Json first = Json::parse(created->body);
  EXPECT_EQ(first["kind"], "Lease");
  const std::string path = std::string(kLeases) + "/ebb";

  // Two writers read the same version; the first PUT wins...
  Json a = first, b = first;
  a["spec"]["holderIdentity"] = "a2";
  b["spec"]["holderIdentity"] = "b";
  auto won = cli.Put(path, a.dump(), "application/json");
  ASSERT_EQ(won->status, 200);
  Json after = Json::parse(won->body);
  EXPECT_NE(after["metadata"]["resourceVersion"],
            first["metadata"]["resourceVersion"]);
  EXPECT_EQ(after["metadata"]["uid"], first["metadata"]["uid"]);
  EXPECT_EQ(after["metadata"]["creationTimestamp"],
            first["metadata"]["creationTimestamp"]);
  // ...the second is refused as a real server refuses it.
  auto lost = cli.Put(path, b.dump(), "application/json");
  ASSERT_EQ(lost->status, 409);
  Json status = Json::parse(lost->body);
  EXPECT_EQ(status["reason"], "Conflict");
  EXPECT_EQ(status["message"],
            "Operation cannot be fulfilled on leases.coordination.k8s.io "
            "\"ebb\": the object has been modified; please apply your changes "
            "to the latest version and try again");
  EXPECT_EQ(status["details"]["name"], "ebb");
  EXPECT_EQ(server_.store()
                .Get("leases", "ns", "ebb")
                .value()["spec"]["holderIdentity"],
            "a2");

  // Leases refuse unconditional updates; names must match the URL.
  Json unconditional = after;
  unconditional["metadata"].erase("resourceVersion");
  auto invalid = cli.Put(path, unconditional.dump(), "application/json");
  EXPECT_EQ(invalid->status, 422);
  EXPECT_THAT(Json::parse(invalid->body)["message"].get<std::string>(),
              HasSubstr("metadata.resourceVersion: Invalid value: 0x0: must be "
                        "specified for an update"));
  Json renamed = after;
  renamed["metadata"]["name"] = "other";
  auto bad = cli.Put(path, renamed.dump(), "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Json::parse(bad->body)["message"],
            "the name of the object (other) does not match the name on the "
            "URL (ebb)");
  EXPECT_EQ(cli.Put(std::string(kLeases) + "/nope", Lease("x").dump(),
                    "application/json")
                ->status,
            400);
}

TEST(FakeApiServerSharedStoreTest, TwoServersServeOneStoreAndHooksSeeRequests) {
  FakeApiServer first;
  ASSERT_TRUE(first.Start().ok());
  FakeApiServerOptions options;
  options.store = first.shared_store();
  FakeApiServer second(options);
  ASSERT_TRUE(second.Start().ok());
  std::vector<std::string> seen;
  std::mutex mu;
  second.SetRequestHook([&](const FakeApiServer::Route& route) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(route.verb + " " + route.Qualified() + " " + route.name);
  });
  ASSERT_EQ(httplib::Client(first.url())
                .Post(kLeases, Lease("a").dump(), "application/json")
                ->status,
            201);
  first.Stop();  // one replica down: the other still serves the objects
  auto got = httplib::Client(second.url()).Get(std::string(kLeases) + "/ebb");
  ASSERT_TRUE(got);
  EXPECT_EQ(Json::parse(got->body)["spec"]["holderIdentity"], "a");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(seen,
              ::testing::ElementsAre("get leases.coordination.k8s.io ebb"));
}

}  // namespace
}  // namespace ebb::executors::kubernetes::testing
