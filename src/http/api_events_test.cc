// SPDX-License-Identifier: Apache-2.0
// API tests of GET /api/v1/events (routes_events.cc) and the job watcher behind
// it.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "http/api_test_fixture.h"
#include "http/job_watcher.h"

namespace ebb::http::testing {
namespace {

// Reads an SSE stream on its own thread; the test waits for text to arrive.
class SseReader {
 public:
  SseReader(int port, httplib::Headers headers,
            std::string path = "/api/v1/events")
      : client_("127.0.0.1", port) {
    client_.set_read_timeout(30, 0);
    thread_ = std::thread(
        [this, headers = std::move(headers), path = std::move(path)] {
          auto r = client_.Get(
              path, headers,
              [this](const httplib::Response& res) {
                std::lock_guard<std::mutex> lock(mu_);
                status_ = res.status;
                content_type_ = res.get_header_value("Content-Type");
                cv_.notify_all();
                return true;
              },
              [this](const char* data, size_t n) {
                std::lock_guard<std::mutex> lock(mu_);
                text_.append(data, n);
                cv_.notify_all();
                return !stop_;
              });
          std::lock_guard<std::mutex> lock(mu_);
          if (r && status_ == 0) status_ = r->status;
          if (r && status_ != 200) text_ += r->body;
          ended_ = true;
          cv_.notify_all();
        });
  }
  ~SseReader() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    client_.stop();
    thread_.join();
  }
  // Waits until the stream's text contains `needle`; false at the deadline.
  bool WaitForText(const std::string& needle,
                   absl::Duration limit = absl::Seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(limit), [&] {
      return text_.find(needle) != std::string::npos;
    });
  }
  bool WaitForEnd(absl::Duration limit = absl::Seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(limit),
                        [&] { return ended_; });
  }
  int status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }
  std::string content_type() {
    std::lock_guard<std::mutex> lock(mu_);
    return content_type_;
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 private:
  httplib::Client client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_, content_type_;
  int status_ = 0;
  bool stop_ = false, ended_ = false;
  std::thread thread_;
};

using EventsApiTest = ApiTest;

TEST_F(EventsApiTest, StreamDeliversPublishedEventsAsSse) {
  StartServer();
  SseReader reader(server_->port(), Bearer());
  ASSERT_TRUE(reader.WaitForText(": connected"));
  EXPECT_EQ(reader.status(), 200);
  EXPECT_NE(reader.content_type().find("text/event-stream"), std::string::npos);

  hub_.Publish("request", {{"id", "r1"}, {"status", "done"}, {"attempt", 1}});
  const std::string expected =
      "id: 1\nevent: request\ndata: "
      "{\"attempt\":1,\"id\":\"r1\",\"status\":\"done\"}\n\n";
  EXPECT_TRUE(reader.WaitForText(expected)) << reader.text();
  hub_.Publish("queue", {{"queue", "tasks"}, {"ready", 3}});
  EXPECT_TRUE(reader.WaitForText("id: 2\nevent: queue\n")) << reader.text();
}

TEST_F(EventsApiTest, StreamWithoutTokenIs401) {
  StartServer();
  SseReader reader(server_->port(), {});
  ASSERT_TRUE(reader.WaitForEnd());
  EXPECT_EQ(reader.status(), 401);
}

TEST_F(EventsApiTest, StreamIs503WithoutAnEventHub) {
  StartServer({.with_events = false});
  auto r = GetAuthed("/api/v1/events");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
}

TEST_F(EventsApiTest, LastEventIdResumesAfterThatEvent) {
  StartServer();
  hub_.Publish("job", {{"name", "a"}});
  hub_.Publish("job", {{"name", "b"}});
  hub_.Publish("job", {{"name", "c"}});
  httplib::Headers h = Bearer();
  h.emplace("Last-Event-ID", "1");
  SseReader reader(server_->port(), h);
  ASSERT_TRUE(reader.WaitForText("id: 3\n")) << reader.text();
  EXPECT_EQ(reader.text().find("id: 1\n"), std::string::npos);
  EXPECT_NE(reader.text().find("id: 2\nevent: job\ndata: {\"name\":\"b\"}"),
            std::string::npos);
}

TEST_F(EventsApiTest, AfterParameterResumesAndNewConnectionsStartAtTheEnd) {
  StartServer();
  hub_.Publish("job", {{"name", "old"}});
  hub_.Publish("job", {{"name", "newer"}});
  SseReader resumed(server_->port(), Bearer(), "/api/v1/events?after=1");
  ASSERT_TRUE(resumed.WaitForText("\"newer\"")) << resumed.text();

  SseReader fresh(server_->port(), Bearer());
  ASSERT_TRUE(fresh.WaitForText(": connected"));
  hub_.Publish("job", {{"name", "latest"}});
  ASSERT_TRUE(fresh.WaitForText("\"latest\"")) << fresh.text();
  EXPECT_EQ(fresh.text().find("\"old\""), std::string::npos);
}

TEST_F(EventsApiTest, KeepAliveCommentIsSentWhenIdle) {
  StartServer({.sse_keepalive_ms = 50});
  SseReader reader(server_->port(), Bearer());
  EXPECT_TRUE(reader.WaitForText(": keep-alive\n\n")) << reader.text();
}

TEST_F(EventsApiTest, ClosingTheHubEndsTheStream) {
  StartServer();
  SseReader reader(server_->port(), Bearer());
  ASSERT_TRUE(reader.WaitForText(": connected"));
  hub_.Close();
  EXPECT_TRUE(reader.WaitForEnd());
}

TEST_F(EventsApiTest, StoppingTheServerEndsOpenStreams) {
  StartServer();
  SseReader reader(server_->port(), Bearer());
  ASSERT_TRUE(reader.WaitForText(": connected"));
  const absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(reader.WaitForEnd());
}

TEST_F(EventsApiTest, JobWatcherChangesReachTheStream) {
  StartServer();
  JobWatcher watcher(executor_, hub_, absl::Milliseconds(20));
  SseReader reader(server_->port(), Bearer());
  ASSERT_TRUE(reader.WaitForText(": connected"));
  watcher.Start();
  executors::JobRequest req;
  req.scaled_job = "sd";
  req.namespace_ = "default";
  auto job = executor_.Create(req);
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(reader.WaitForText("\"name\":\"" + job->name + "\""))
      << reader.text();
  ASSERT_TRUE(executor_.Delete("default", job->name, false).ok());
  EXPECT_TRUE(reader.WaitForText("\"deleted\":true")) << reader.text();
  watcher.Stop();
}

}  // namespace
}  // namespace ebb::http::testing
