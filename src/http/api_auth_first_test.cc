// SPDX-License-Identifier: Apache-2.0
// Writes are authenticated before their body is read or judged (a caller
// without the token gets 401 whatever it sends), and the server refuses a
// non-loopback address unless told that plain HTTP there is acceptable.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "http/api_test_fixture.h"

namespace ebb::http::testing {
namespace {

using ::testing::HasSubstr;

// Sends `request` as written and returns the status code of the reply (0 when
// there is none).
int RawStatus(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[512];
    while (reply.find("\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  // "HTTP/1.1 401 Unauthorized"
  if (reply.size() < 12) return 0;
  return std::atoi(reply.substr(9, 3).c_str());
}

using AuthFirstTest = ApiTest;

TEST_F(AuthFirstTest, APostWithoutBodyOrTokenIs401) {
  StartServer();
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/requests", "/api/v1/dead-letters/x/replay",
           "/api/v1/queues/tasks/publish", "/api/v1/queues/tasks/take"}) {
    SCOPED_TRACE(path);
    // No Content-Length at all, then an empty one, then a body that is not
    // JSON: always 401 without the token.
    EXPECT_EQ(RawStatus(server_->port(),
                        "POST " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"),
              401);
    EXPECT_EQ(RawStatus(server_->port(), "POST " + path +
                                             " HTTP/1.1\r\nHost: x\r\n"
                                             "Content-Length: 0\r\n\r\n"),
              401);
    auto junk = Client()->Post(path, "{not json", "application/json");
    ASSERT_TRUE(junk);
    EXPECT_EQ(junk->status, 401);
  }
}

TEST_F(AuthFirstTest, ABodyTooLargeWithoutTokenIs401) {
  StartServer();
  auto big = Client()->Post("/api/v1/requests", std::string(200 * 1024, 'x'),
                            "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 401);
}

TEST_F(AuthFirstTest, WithTheTokenABadBodyIsStill400) {
  StartServer();
  auto r = PostAuthed("/api/v1/requests", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  auto ok = PostAuthed("/api/v1/requests", R"({"prompt":"a fox"})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201);
}

TEST(ListenHostTest, LoopbackIsAccepted) {
  for (const std::string& host : std::vector<std::string>{
           "127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"}) {
    EXPECT_TRUE(CheckListenHost(host, false).ok()) << host;
  }
}

TEST(ListenHostTest, OtherAddressesNeedInsecureListenAndSayWhy) {
  for (const std::string& host : std::vector<std::string>{
           "0.0.0.0", "192.168.1.10", "::", "example.com", "128.0.0.1"}) {
    absl::Status s = CheckListenHost(host, false);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << host;
    EXPECT_THAT(s.message(), HasSubstr("--listen " + host));
    EXPECT_THAT(s.message(), HasSubstr("plain HTTP"));
    EXPECT_THAT(s.message(), HasSubstr("--insecure-listen"));
    EXPECT_TRUE(CheckListenHost(host, true).ok()) << host;
  }
}

TEST(ListenHostTest, TheServerRefusesToStartOnANonLoopbackAddress) {
  ApiContext ctx;
  ApiServer server(ctx, ApiServerOptions{"0.0.0.0", 0});
  absl::Status s = server.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("--insecure-listen"));
}

}  // namespace
}  // namespace ebb::http::testing
