// SPDX-License-Identifier: Apache-2.0
// API tests of the core routes (routes_core.cc), auth, and the token rule on
// every route of docs/api.md.
#include <string>
#include <utility>
#include <vector>

#include "http/api_test_fixture.h"

namespace ebb::http::testing {
namespace {

using CoreApiTest = ApiTest;

template <typename Pred>
bool Eventually(Pred pred, absl::Duration limit = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(
        absl::Milliseconds(5));  // polling interval, not synchronisation
  }
  return pred();
}

TEST_F(CoreApiTest, ModelTellsTheJobsModelAndItsExamplePrompts) {
  HarnessOptions o;
  o.model_info = {{"model", "ebb-shapes"},
                  {"bundled", true},
                  {"example_prompts", {"a red circle on a blue background"}}};
  StartServer(o);
  EXPECT_EQ(Client()->Get("/api/v1/model")->status, 401);
  auto r = GetAuthed("/api/v1/model");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r), o.model_info);
}

TEST_F(CoreApiTest, ModelIs404WhenTheServerDoesNotKnowIt) {
  StartServer();
  EXPECT_EQ(GetAuthed("/api/v1/model")->status, 404);
}

TEST_F(CoreApiTest, HealthzAnswersOkWithoutToken) {
  StartServer();
  auto r = Client()->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok\n");
}

TEST_F(CoreApiTest, ReadyzIs503UntilEveryScaledJobPolledThen200) {
  StartServer();
  auto r = Client()->Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("sd"), std::string::npos);
  controller_->Start();
  EXPECT_TRUE(Eventually([&] {
    auto again = Client()->Get("/readyz");
    return again && again->status == 200 && again->body == "ready\n";
  }));
}

TEST_F(CoreApiTest, LoginSetsHttpOnlyCookieAndRedirects) {
  StartServer();
  auto r = Client()->Get(std::string("/login?token=") + kToken);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->get_header_value("Location"), "/");
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find(std::string("ebb_token=") + kToken), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);

  auto wrong = Client()->Get("/login?token=nope");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_TRUE(wrong->get_header_value("Set-Cookie").empty());
}

TEST_F(CoreApiTest, CookieAuthorizesReadsButWritesNeedTheCsrfHeader) {
  StartServer();
  const httplib::Headers cookie = {
      {"Cookie", std::string("other=1; ebb_token=") + kToken}};
  auto read = Client()->Get("/api/v1/scaledjobs", cookie);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);

  const std::string body = R"({"prompt": "a red fox"})";
  auto no_csrf =
      Client()->Post("/api/v1/requests", cookie, body, "application/json");
  ASSERT_TRUE(no_csrf);
  EXPECT_EQ(no_csrf->status, 401);
  EXPECT_NE(Body(no_csrf)["error"].get<std::string>().find("X-Ebb-Csrf"),
            std::string::npos);

  httplib::Headers with_csrf = cookie;
  with_csrf.emplace("X-Ebb-Csrf", "1");
  auto ok =
      Client()->Post("/api/v1/requests", with_csrf, body, "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201);
}

TEST_F(CoreApiTest, CorsIsOffByDefault) {
  StartServer();
  auto r = GetAuthed("/api/v1/scaledjobs");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
}

TEST_F(CoreApiTest, CorsOriginAllowsThatOriginOnly) {
  HarnessOptions o;
  o.cors_origin = "http://localhost:3000";
  StartServer(o);
  auto r = GetAuthed("/api/v1/scaledjobs");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"),
            "http://localhost:3000");
  auto pre = Client()->Options("/api/v1/requests");
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
}

TEST_F(CoreApiTest, MetricsServesPrometheusText) {
  StartServer();
  auto r = GetAuthed("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("version=0.0.4"),
            std::string::npos);
}

TEST_F(CoreApiTest, ScaledJobsListsEveryScaledJobAndOneByName) {
  StartServer();
  controller_->Start();
  ASSERT_TRUE(
      Eventually([&] { return !controller_->Snapshots(1)[0].recent.empty(); }));
  auto list = GetAuthed("/api/v1/scaledjobs");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  auto j = Body(list);
  ASSERT_EQ(j["scaledJobs"].size(), 1u);
  EXPECT_EQ(j["scaledJobs"][0]["name"], "sd");
  EXPECT_EQ(j["scaledJobs"][0]["maxReplicaCount"], 4);

  auto one = GetAuthed("/api/v1/scaledjobs/sd?limit=5");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  auto sj = Body(one);
  EXPECT_EQ(sj["name"], "sd");
  ASSERT_FALSE(sj["recent"].empty());
  EXPECT_EQ(sj["last"]["cause"], "start");
  EXPECT_TRUE(sj["last"].contains("scaleTo"));
}

// `ebb status` says why jobs wait: the list counts pending jobs by reason
// (a Kubernetes executor's "Unschedulable", ...); reasonless ones are only
// counted.
TEST_F(CoreApiTest, ScaledJobsCountPendingJobsByReason) {
  StartServer();
  executors::JobRequest r;
  r.scaled_job = "sd";
  r.namespace_ = "default";
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) names.push_back(executor_.Create(r)->name);
  for (int i = 0; i < 2; ++i) {
    executors::Job job = *executor_.Get("default", names[i]);
    job.reason = "Unschedulable";
    ASSERT_TRUE(executor_.SetJob(job).ok());
  }
  auto j = Body(GetAuthed("/api/v1/scaledjobs"));
  const auto& jobs = j["scaledJobs"][0]["jobs"];
  EXPECT_EQ(jobs["pending"], 3);
  EXPECT_EQ(jobs["pendingReasons"],
            nlohmann::json::parse(R"({"Unschedulable": 2})"));
}

TEST_F(CoreApiTest, UnknownScaledJobIs404) {
  StartServer();
  auto r = GetAuthed("/api/v1/scaledjobs/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(Body(r).contains("error"));
}

TEST_F(CoreApiTest, JobsListsExecutorJobsFilteredByScaledJob) {
  StartServer();
  executors::JobRequest req;
  req.scaled_job = "sd";
  req.namespace_ = "default";
  auto a = executor_.Create(req);
  req.scaled_job = "other";
  ASSERT_TRUE(executor_.Create(req).ok());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(
      executor_.SetState("default", a->name, executors::JobState::kRunning)
          .ok());

  auto all = GetAuthed("/api/v1/jobs");
  ASSERT_TRUE(all);
  EXPECT_EQ(Body(all)["jobs"].size(), 2u);
  auto sd = GetAuthed("/api/v1/jobs?scaledjob=sd");
  ASSERT_TRUE(sd);
  auto jobs = Body(sd)["jobs"];
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["name"], a->name);
  EXPECT_EQ(jobs[0]["state"], "running");
  EXPECT_EQ(jobs[0]["scaledJob"], "sd");
}

TEST_F(CoreApiTest, LogsOfAJobAreTextAndUnknownJobIs404) {
  StartServer();
  executors::JobRequest req;
  req.scaled_job = "sd";
  req.namespace_ = "default";
  auto job = executor_.Create(req);
  ASSERT_TRUE(job.ok());
  executor_.SetLogs("default", job->name, "", "model loaded\n");
  auto r = GetAuthed("/api/v1/jobs/" + job->name + "/logs");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "model loaded\n");
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"),
            std::string::npos);

  auto missing = GetAuthed("/api/v1/jobs/no-such-job/logs");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(CoreApiTest, PostRequestReturns201WithIds) {
  StartServer();
  auto r = PostAuthed("/api/v1/requests",
                      R"({"prompt": "a lighthouse", "count": 2})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(Body(r)["ids"], nlohmann::json({"req-1", "req-2"}));
}

TEST_F(CoreApiTest, InvalidRequestIs400NamingTheField) {
  StartServer();
  auto r = PostAuthed("/api/v1/requests", R"({"prompt": "x", "count": 9})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["field"], "count");

  auto not_json = PostAuthed("/api/v1/requests", "not json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
}

// A hostile body nested 30,000 levels deep (within the 64 KiB body limit) is
// refused before anything recurses over it, and `ebb up` stays up.
TEST_F(CoreApiTest, DeeplyNestedBodyIs400AndTheServerLives) {
  StartServer();
  const std::string deep = R"({"prompt": "x", "extra": )" +
                           std::string(30000, '[') + std::string(30000, ']') +
                           "}";
  auto r = PostAuthed("/api/v1/requests", deep);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("nested"), std::string::npos) << r->body;
  auto health = Client()->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(CoreApiTest, RequestWithoutTokenIs401) {
  StartServer();
  auto r = Client()->Post("/api/v1/requests", R"({"prompt": "x"})",
                          "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  auto wrong =
      Client()->Post("/api/v1/requests", {{"Authorization", "Bearer wrong"}},
                     R"({"prompt": "x"})", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
}

TEST_F(CoreApiTest, BodyOver64KiBIs413) {
  StartServer();
  const std::string body =
      R"({"prompt": ")" + std::string(65 * 1024, 'a') + R"("})";
  auto r = PostAuthed("/api/v1/requests", body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

// Every authenticated GET route of docs/api.md that exists in code.
const std::vector<std::string>& ReadRoutes() {
  static const std::vector<std::string> routes = {"/metrics",
                                                  "/api/v1/scaledjobs",
                                                  "/api/v1/scaledjobs/sd",
                                                  "/api/v1/jobs",
                                                  "/api/v1/jobs/x/logs",
                                                  "/api/v1/images",
                                                  "/api/v1/objects/a.png",
                                                  "/api/v1/dead-letters",
                                                  "/api/v1/events"};
  return routes;
}
const std::vector<std::string>& WriteRoutes() {
  static const std::vector<std::string> routes = {
      "/api/v1/requests", "/api/v1/dead-letters/x/replay"};
  return routes;
}

TEST_F(CoreApiTest, EveryRouteButHealthAndReadinessNeedsTheToken) {
  StartServer();
  for (const auto& path : ReadRoutes()) {
    auto r = Client()->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_TRUE(Body(r).contains("error")) << path;
  }
  for (const auto& path : WriteRoutes()) {
    auto r = Client()->Post(path, "{}", "application/json");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
  }
  EXPECT_EQ(Client()->Get("/healthz")->status, 200);
  EXPECT_NE(Client()->Get("/readyz")->status, 401);
}

// --public-metrics opens /metrics alone: every other read still needs the
// token.
TEST_F(CoreApiTest, PublicMetricsOpenOnlyMetrics) {
  StartServer({.public_metrics = true, .with_events = false});
  auto m = Client()->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  for (const auto& path : ReadRoutes()) {
    if (path == "/metrics") continue;
    auto r = Client()->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
  }
}

TEST_F(CoreApiTest, PublicReadsLetGetsThroughButNotPosts) {
  StartServer({.public_reads = true, .with_events = false});
  for (const auto& path : ReadRoutes()) {
    auto r = Client()->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_NE(r->status, 401) << path;
  }
  for (const auto& path : WriteRoutes()) {
    auto r = Client()->Post(path, "{}", "application/json");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
  }
}

}  // namespace
}  // namespace ebb::http::testing
