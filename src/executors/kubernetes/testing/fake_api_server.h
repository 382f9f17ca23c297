// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/testing/fake_api_server.h
//
// An in-process Kubernetes API server double for tests (no real API server
// can run on the build machines). It serves, over HTTP or HTTPS on a loopback
// port, the REST paths ebb uses:
//   /api/v1[/namespaces/NS]/RESOURCE[/NAME[/log]]
//   /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME]
// with GET (get, list, `?watch=1`), POST (create), PUT (replace: 409 Conflict
// for a stale metadata.resourceVersion), PATCH (JSON merge patches only;
// other patch types answer 415) and DELETE (propagationPolicy from the
// DeleteOptions body or the query). Resources with a status subresource
// (jobs, pods, scaledjobs, (cluster)triggerauthentications) are updated as a
// real server does: .../status changes only .status, an update of the object
// keeps its .status, and metadata.generation counts changes of anything but
// metadata and status. Objects live
// in a FakeApiStore (resourceVersion, labelSelector, generateName, owner
// garbage collection); two servers may share one store, as API server
// replicas share etcd. A PUT carrying a metadata.resourceVersion that is not
// the latest answers 409 Conflict, as real servers do (optimistic
// concurrency); Leases, like real ones, refuse a PUT without one (422). Watches
// stream newline-separated events, send BOOKMARKs when
// `allowWatchBookmarks=true`, honour `timeoutSeconds`, and end with an ERROR
// event carrying a 410 Expired Status for a resourceVersion that is too old, as
// real servers do.
//
// Errors are v1 Status objects with the codes, reasons and messages of a real
// server: 401 Unauthorized (wrong or missing bearer token), 403 Forbidden
// with the RBAC message ("jobs.batch is forbidden: User \"...\" cannot list
// resource \"jobs\" in API group \"batch\" in the namespace \"ns\""), 404
// NotFound, 409 AlreadyExists, 409 Conflict, 422 Invalid with field causes
// (Job creates are checked for the required fields), and injected 429 (with
// Retry-After) or 5xx. The server does not run controllers: tests make pods
// with Put().
//
// Threading: every method may be called from any thread concurrently.
#ifndef EBB_EXECUTORS_KUBERNETES_TESTING_FAKE_API_SERVER_H_
#define EBB_EXECUTORS_KUBERNETES_TESTING_FAKE_API_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "executors/kubernetes/testing/fake_api_store.h"

namespace httplib {
class Server;
class Request;
class Response;
}  // namespace httplib

namespace ebb::executors::kubernetes::testing {

struct FakeApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;       // 0: any free port
  std::string token;  // required "Authorization: Bearer" value; "" = none
  // HTTPS when both are set (PEM files).
  std::string tls_cert_file;
  std::string tls_key_file;
  // With HTTPS: client certificates are required and checked against it.
  std::string client_ca_file;
  std::string user = "system:serviceaccount:ebb:ebb";  // named in 403s
  size_t history_limit = 10000;        // watch events kept (older RVs: 410)
  bool graceful_pod_deletion = false;  // see FakeApiStore
  // Periodic BOOKMARK events on watches that allow them; zero: only when
  // SendBookmarks() is called.
  absl::Duration bookmark_interval = absl::ZeroDuration();
  // Another server's store (shared_store()) to serve, as a second API server
  // replica over the same etcd; none = a store of its own made from
  // history_limit and graceful_pod_deletion. (Restart() forgets the shared
  // watch history, for every server that shares it.)
  std::shared_ptr<FakeApiStore> store;
};

class FakeApiServer {
 public:
  explicit FakeApiServer(FakeApiServerOptions options = {});
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // Listens (port() is known once it returns). Internal when it cannot bind.
  absl::Status Start();
  // Closes every connection, watches included, and stops listening.
  void Stop();
  // Stop, then Start on the same port with the same objects; the watch
  // history is forgotten, as a restarted server's watch cache is (older
  // resourceVersions get 410).
  absl::Status Restart();
  std::string url() const;  // "http://127.0.0.1:PORT" (https with TLS)
  int port() const { return port_; }
  FakeApiStore& store() { return *store_; }
  std::shared_ptr<FakeApiStore> shared_store() const { return store_; }

  // RBAC: `verb` ("get", "list", "watch", "create", "delete", "update",
  // "patch") on `resource` ("jobs", "pods", "pods/log", "scaledjobs/status")
  // answers 403 until Allow().
  void Deny(const std::string& verb, const std::string& resource);
  void Allow(const std::string& verb, const std::string& resource);
  // The next `count` requests with this verb and resource ("" matches any)
  // answer `code` (410, 429, 500, 503...) before touching the store; 429s
  // carry `Retry-After: retry_after_seconds`.
  void FailNext(const std::string& verb, const std::string& resource, int code,
                int count = 1, int retry_after_seconds = 1);
  // Cuts every open watch connection (the client sees a dropped stream).
  void DropWatches();
  // Sends a BOOKMARK (current resourceVersion) on every watch that allows it.
  void SendBookmarks();
  // What GET .../pods/POD/log?container=C returns.
  void SetLog(const std::string& ns, const std::string& pod,
              const std::string& container, const std::string& text);

  // Requests served so far with this verb and resource ("" = any).
  int Requests(const std::string& verb, const std::string& resource) const;
  int OpenWatches() const { return open_watches_.load(); }

  // A parsed request: path parts and the RBAC verb.
  struct Route {
    std::string group, version, ns, resource, name, subresource, verb;
    // "jobs.batch" / "pods": how messages name the resource.
    std::string Qualified() const {
      return group.empty() ? resource : resource + "." + group;
    }
    std::string RbacResource() const {
      return subresource.empty() ? resource : resource + "/" + subresource;
    }
  };
  // Tests: `hook` (none = remove) is called with each routed request before
  // it is authorized or served, on the serving thread, and may block it for
  // a while (e.g. change the store between a client's GET and its PUT).
  void SetRequestHook(std::function<void(const Route&)> hook);

 private:
  struct Failure {
    std::string verb, resource;
    int code;
    int count;
    int retry_after;
  };
  void Handle(const httplib::Request& req, httplib::Response& res);
  void Serve(const Route& route, const httplib::Request& req,
             httplib::Response& res);
  void ServeWatch(const Route& route, const httplib::Request& req,
                  httplib::Response& res);
  // update and patch (fake_api_update.cc).
  void ServeUpdate(const Route& route, const httplib::Request& req,
                   httplib::Response& res);
  bool Authorized(const Route& route, const httplib::Request& req,
                  httplib::Response& res);
  bool Injected(const Route& route, httplib::Response& res);
  absl::Status Listen();

  FakeApiServerOptions options_;
  std::shared_ptr<FakeApiStore> store_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mu_;
  std::set<std::pair<std::string, std::string>> denied_;
  std::vector<Failure> failures_;
  std::map<std::string, int> requests_;  // "verb resource" -> count
  std::map<std::string, std::string> logs_;
  std::function<void(const Route&)> hook_;
  std::atomic<uint64_t> drop_generation_{0};
  std::atomic<uint64_t> bookmark_generation_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int> open_watches_{0};
};

// A v1 Status body as real servers send it.
Json StatusBody(int code, const std::string& reason, const std::string& message,
                const Json& details = Json::object());

}  // namespace ebb::executors::kubernetes::testing

#endif  // EBB_EXECUTORS_KUBERNETES_TESTING_FAKE_API_SERVER_H_
