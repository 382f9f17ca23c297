// SPDX-License-Identifier: Apache-2.0
// Every route that reads the filesystem (job logs, objects and the gallery,
// requests, the web UI's files, dead letters) against "..", percent-encoded
// separators and symbolic links out of its directory: 400 for an invalid name,
// 404 for a missing one, 403 for a refused link, and never the file's bytes.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/files.h"
#include "executors/local/job_files.h"
#include "executors/local/local_executor.h"
#include "http/api_test_fixture.h"
#include "storage/filesystem/filesystem_object_store.h"

namespace ebb::http::testing {
namespace {

namespace fs = std::filesystem;
namespace local = executors::local;

constexpr char kSecret[] = "THE-SECRET-BYTES";

class PathsApiTest : public ApiTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ebb-api-paths-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    data_ = dir_ + "/data";
    web_ = dir_ + "/web";
    // Secrets beside the served directories: the data dir's token, and a
    // file outside everything.
    Write(data_ + "/token", kSecret);
    Write(dir_ + "/outside.log", kSecret);
    Write(web_ + "/index.html", "<!doctype html><title>ebb</title>");
    Write(web_ + "/js/main.js", "export {};");

    local::LocalExecutorOptions eo;
    eo.data_dir = data_;
    eo.supervisor_argv = {"/bin/false"};
    auto ex = local::LocalExecutor::Create(eo);
    ASSERT_TRUE(ex.ok()) << ex.status();
    local_ = std::move(*ex);
    auto store = storage::FilesystemObjectStore::Open(data_ + "/results");
    ASSERT_TRUE(store.ok()) << store.status();
    fs_store_ = std::move(*store);

    // A job with a log, and one crafted to read a file through a link.
    MakeJob("default", "sd-good", "worker");
    Write(data_ + "/jobs/default/sd-good/logs/worker.log", "hello from job\n");
    MakeJob("default", "sd-linked", "worker");
    fs::create_symlink(data_ + "/token",
                       data_ + "/jobs/default/sd-linked/logs/worker.log");
    MakeJob("default", "sd-crafted", "../../../token");

    HarnessOptions o;
    o.executor = local_.get();
    o.store = fs_store_.get();
    o.web_root = web_;
    StartServer(o);
  }
  void TearDown() override {
    ApiTest::TearDown();
    fs::remove_all(dir_);
  }

  static void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomic(path, text).ok()) << path;
  }
  void MakeJob(const std::string& ns, const std::string& name,
               const std::string& container) {
    local::JobFile job;
    job.name = name;
    job.namespace_ = ns;
    job.scaled_job = "sd";
    job.created = absl::Now();
    local::ContainerSpec c;
    c.name = container;
    c.image = "x";
    c.argv = {"/bin/true"};
    job.containers.push_back(c);
    const std::string dir = data_ + "/jobs/" + ns + "/" + name;
    ASSERT_TRUE(MakeDirs(dir + "/logs").ok());
    ASSERT_TRUE(local::WriteJobFile(dir, job).ok());
    ASSERT_TRUE(local::WriteStateFile(dir, local::InitialState(job)).ok());
  }

  // A GET sent as written (no client-side encoding or normalisation).
  httplib::Result RawGet(const std::string& path) {
    auto c = Client();
    c->set_url_encode(false);
    return c->Get(path, Bearer());
  }

  // The reply has `status` and does not carry the secret.
  void Expect(const std::string& path, int status) {
    SCOPED_TRACE(path);
    auto r = RawGet(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->body.find(kSecret), std::string::npos);
  }

  std::string dir_, data_, web_;
  std::unique_ptr<local::LocalExecutor> local_;
  std::unique_ptr<storage::FilesystemObjectStore> fs_store_;
};

TEST_F(PathsApiTest, JobLogsOfAValidJobAreServed) {
  auto r = RawGet("/api/v1/jobs/sd-good/logs?namespace=default");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello from job\n");
  Expect("/api/v1/jobs/sd-missing/logs?namespace=default", 404);
}

TEST_F(PathsApiTest, JobLogsRefuseANamespaceThatClimbsOut) {
  for (const std::string& ns : std::vector<std::string>{
           "../../..", "..", "..%2F..%2F..", "%2e%2e", "%2e%2e%2f%2e%2e", "a/b",
           "default%00", "Default", "-x"}) {
    Expect("/api/v1/jobs/sd-good/logs?namespace=" + ns, 400);
  }
  auto r = RawGet("/api/v1/jobs/sd-good/logs?namespace=..%2F..");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["field"], "namespace");
}

TEST_F(PathsApiTest, JobLogsRefuseAJobNameThatClimbsOut) {
  Expect("/api/v1/jobs/%2e%2e/logs", 400);
  Expect("/api/v1/jobs/..%2F..%2Ftoken/logs", 404);  // no such route
  Expect("/api/v1/jobs/%2e%2e%2f%2e%2e/logs", 404);
  Expect("/api/v1/jobs/SD_GOOD/logs", 400);
}

TEST_F(PathsApiTest, JobLogsRefuseAContainerThatClimbsOut) {
  for (const std::string& c :
       std::vector<std::string>{"../../token", "..%2Ftoken", "%2e%2e", "a.b"}) {
    Expect("/api/v1/jobs/sd-good/logs?namespace=default&container=" + c, 400);
  }
}

TEST_F(PathsApiTest, JobLogsRefuseALinkedLogFile) {
  Expect("/api/v1/jobs/sd-linked/logs?namespace=default", 403);
  Expect("/api/v1/jobs/sd-linked/logs", 403);
}

TEST_F(PathsApiTest, JobLogsRefuseACraftedContainerName) {
  Expect("/api/v1/jobs/sd-crafted/logs?namespace=default", 400);
}

TEST_F(PathsApiTest, ObjectsRefuseClimbingKeysAndLinks) {
  Write(data_ + "/results/ok.png", "png");
  fs::create_symlink(data_ + "/token", data_ + "/results/evil.png");
  fs::create_symlink(dir_, data_ + "/results/up");
  auto ok = RawGet("/api/v1/objects/ok.png");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  Expect("/api/v1/objects/evil.png", 403);
  Expect("/api/v1/objects/up/outside.log", 403);
  Expect("/api/v1/objects/..%2Ftoken", 400);
  Expect("/api/v1/objects/%2e%2e/token", 400);
  Expect("/api/v1/objects/%2e%2e%2ftoken", 400);
  Expect("/api/v1/objects/a/%2e%2e/%2e%2e/token", 400);
  Expect("/api/v1/objects/%2Fetc%2Fpasswd", 400);
  Expect("/api/v1/objects/missing.png", 404);
}

TEST_F(PathsApiTest, GalleryListsNoLinkedRecordsOrImages) {
  Write(data_ + "/results/r1.json",
        R"({"id":"r1","status":"done","prompt":"p","images":["../token"]})");
  fs::create_symlink(data_ + "/token", data_ + "/results/r2.json");
  Expect("/api/v1/images", 200);
  auto r = RawGet("/api/v1/images");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["images"].size(), 0u) << r->body;
}

TEST_F(PathsApiTest, RequestsRefuseClimbingIdsAndLinkedRecords) {
  fs::create_symlink(data_ + "/token", data_ + "/results/linked.json");
  Expect("/api/v1/requests/linked", 403);
  Expect("/api/v1/requests/%2e%2e%2ftoken", 404);  // "/" in the id: no route
  Expect("/api/v1/requests/%2e%2e", 404);
  Expect("/api/v1/requests/nope", 404);
  Expect("/api/v1/requests?status=done", 200);
}

TEST_F(PathsApiTest, WebFilesRefuseClimbingPathsAndLinks) {
  fs::create_symlink(data_ + "/token", web_ + "/evil.js");
  fs::create_symlink(dir_, web_ + "/up");
  Expect("/", 200);
  Expect("/js/main.js", 200);
  Expect("/evil.js", 403);
  Expect("/up/outside.log", 404);  // .log is not a UI file type
  Expect("/..%2Fdata%2Ftoken.txt", 400);
  Expect("/%2e%2e/%2e%2e/etc/passwd.txt", 400);
  Expect("/js/%2e%2e/%2e%2e/data/token.js", 400);
  Expect("/js/", 404);
  Expect("/missing.js", 404);
  fs::create_symlink(dir_ + "/outside.log", web_ + "/up.txt");
  Expect("/up.txt", 403);
}

TEST_F(PathsApiTest, DeadLetterIdsThatClimbAreJustUnknown) {
  for (const std::string& id : std::vector<std::string>{
           "%2e%2e", "..%2F..%2Ftoken", "%2e%2e%2ftoken"}) {
    SCOPED_TRACE(id);
    auto r = Client();
    r->set_url_encode(false);
    auto got = r->Post("/api/v1/dead-letters/" + id + "/replay", Bearer(), "",
                       "application/json");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->status, 404) << got->body;
  }
  Expect("/api/v1/dead-letters", 200);
}

}  // namespace
}  // namespace ebb::http::testing
