// SPDX-License-Identifier: Apache-2.0
// Crash safety: a child process uses the queue and is SIGKILLed at chosen
// points; the parent reopens the database and checks what survived.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>

#include "queue/embedded/embedded_queue.h"
#include "tests/harness/harness.h"

namespace ebb::queue::embedded {
namespace {

using ::ebb::testing::MakeTempDir;

std::unique_ptr<EmbeddedQueue> OpenAt(const std::string& path, Clock* clock) {
  EmbeddedQueueOptions o;
  o.path = path;
  o.clock = clock;
  o.default_lease = absl::Seconds(60);
  auto q = EmbeddedQueue::Open(o);
  if (!q.ok()) return nullptr;
  return std::move(*q);
}

OutgoingMessage Msg(const std::string& id) {
  OutgoingMessage m;
  m.body = "{\"prompt\":\"p\",\"id\":\"" + id + "\"}";
  return m;
}

// Forks a child that runs `body(write_fd)` and then waits to be killed. The
// child never returns into gtest.
template <typename F>
pid_t ForkChild(int* read_fd, F body) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    body(fds[1]);
    while (true) pause();
  }
  close(fds[1]);
  *read_fd = fds[0];
  return pid;
}

bool ReadExactly(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void Kill(pid_t pid) {
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

class EmbeddedQueueCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = MakeTempDir("eqcrash") + "/queue.db";
    // The parent holds no queue (and so no threads) while it forks.
    auto q = OpenAt(path_, Clock::Real());
    ASSERT_NE(q, nullptr);
    ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
  }
  std::string path_;
};

TEST_F(EmbeddedQueueCrashTest, UnackedMessageComesBackAfterTheLeaseExpires) {
  int fd = -1;
  const pid_t pid = ForkChild(&fd, [this](int out) {
    auto q = OpenAt(path_, Clock::Real());
    auto d = q ? q->Take("tasks", absl::Seconds(5)) : absl::InternalError("");
    const char ok = d.ok() && d->has_value() ? 'T' : 'E';
    (void)!write(out, &ok, 1);
  });
  ASSERT_GT(pid, 0);
  char c = 0;
  ASSERT_TRUE(ReadExactly(fd, &c, 1));
  ASSERT_EQ(c, 'T');
  Kill(pid);
  close(fd);

  FakeClock clock(absl::Now());
  auto q = OpenAt(path_, &clock);
  ASSERT_NE(q, nullptr);
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  EXPECT_EQ(q->Request("r1")->state, RequestState::kRunning);
  clock.Advance(absl::Seconds(61));
  auto d = q->Take("tasks", absl::ZeroDuration());
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->has_value());
  EXPECT_TRUE((*d)->redelivered);
  EXPECT_EQ((*d)->body, Msg("r1").body);
}

TEST_F(EmbeddedQueueCrashTest, AckedMessageNeverComesBack) {
  int fd = -1;
  const pid_t pid = ForkChild(&fd, [this](int out) {
    auto q = OpenAt(path_, Clock::Real());
    auto d = q ? q->Take("tasks", absl::Seconds(5)) : absl::InternalError("");
    const bool ok = d.ok() && d->has_value() && q->Ack(**d).ok();
    const char c = ok ? 'A' : 'E';
    (void)!write(out, &c, 1);
  });
  ASSERT_GT(pid, 0);
  char c = 0;
  ASSERT_TRUE(ReadExactly(fd, &c, 1));
  ASSERT_EQ(c, 'A');
  Kill(pid);
  close(fd);

  FakeClock clock(absl::Now());
  auto q = OpenAt(path_, &clock);
  ASSERT_NE(q, nullptr);
  clock.Advance(absl::Hours(1));
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  EXPECT_EQ(q->Depths("tasks")->ready, 0);
  EXPECT_EQ(q->Request("r1")->state, RequestState::kDone);
}

TEST_F(EmbeddedQueueCrashTest, EveryConfirmedPublishSurvivesAKillMidLoop) {
  int fd = -1;
  const pid_t pid = ForkChild(&fd, [this](int out) {
    auto q = OpenAt(path_, Clock::Real());
    for (int32_t i = 0; q != nullptr; ++i) {
      if (!q->Publish("burst", Msg("b" + std::to_string(i))).ok()) break;
      if (write(out, &i, sizeof i) != sizeof i) break;
    }
  });
  ASSERT_GT(pid, 0);
  std::set<int32_t> confirmed;
  int32_t i = 0;
  while (confirmed.size() < 150 && ReadExactly(fd, &i, sizeof i)) {
    confirmed.insert(i);
  }
  Kill(pid);  // mid-loop: the child is publishing as fast as it can
  while (ReadExactly(fd, &i, sizeof i)) confirmed.insert(i);
  close(fd);
  ASSERT_GE(confirmed.size(), 150u);

  auto q = OpenAt(path_, Clock::Real());
  ASSERT_NE(q, nullptr);
  std::map<std::string, int> count;
  while (true) {
    auto d = q->Take("burst", absl::ZeroDuration());
    ASSERT_TRUE(d.ok());
    if (!d->has_value()) break;
    ++count[(*d)->body];
    ASSERT_TRUE(q->Ack(**d).ok());
  }
  for (int32_t n : confirmed) {
    EXPECT_EQ(count[Msg("b" + std::to_string(n)).body], 1) << "publish " << n;
  }
  // At most the one publish in flight at the kill exists unconfirmed.
  EXPECT_LE(count.size(), confirmed.size() + 1);
  for (const auto& [body, n] : count) EXPECT_EQ(n, 1) << body;
}

}  // namespace
}  // namespace ebb::queue::embedded
