// SPDX-License-Identifier: Apache-2.0
// `ebb get`, `ebb requests`, `ebb wait`, `ebb cancel`, `ebb delete`: requests
// of a running `ebb up` over its API (docs/api.md "Requests").
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cli/client.h"
#include "cli/commands.h"

namespace ebb::cli {
namespace {

std::string RequestPath(const std::string& id) {
  return "/api/v1/requests/" + UrlEncode(id);
}

bool Finished(const std::string& status) {
  return status == "done" || status == "failed" || status == "cancelled" ||
         status == "deleted";
}

// "step 3 of 8" (", image 1 of 2" when more than one), "#2, ~4s" for a
// queued one, "-" otherwise.
std::string Where(const nlohmann::json& r) {
  if (r.contains("progress") && r["progress"].is_object()) {
    const auto& p = r["progress"];
    std::string s =
        absl::StrCat("step ", p.value("step", 0), " of ", p.value("steps", 0));
    if (p.value("images", 1) > 1) {
      absl::StrAppend(&s, ", image ", p.value("image", 1), " of ",
                      p.value("images", 1));
    }
    return s;
  }
  if (r.contains("estimate") && r["estimate"].is_object()) {
    const auto& e = r["estimate"];
    std::string s;
    if (e["position"].is_number()) s = absl::StrCat("#", e["position"].dump());
    if (e["wait_s"].is_number()) {
      absl::StrAppend(
          &s, s.empty() ? "" : ", ", "~",
          HumanDuration(absl::Seconds(std::ceil(e["wait_s"].get<double>()))),
          " wait");
    }
    return s.empty() ? "-" : s;
  }
  return "-";
}

std::string Shorten(std::string s, size_t n) {
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  if (s.size() <= n) return s;
  // Cut on a UTF-8 boundary.
  size_t cut = n - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

void Describe(const nlohmann::json& r, absl::Time now) {
  auto line = [](const char* k, const std::string& v) {
    std::cout << absl::StrFormat("%-10s %s\n", k, v);
  };
  line("ID:", Text(r, "id"));
  std::string status = Text(r, "status");
  if (r.contains("progress")) absl::StrAppend(&status, " (", Where(r), ")");
  line("STATUS:", status);
  if (r.contains("estimate") && r["estimate"].is_object()) {
    const auto& e = r["estimate"];
    line("POSITION:",
         e["position"].is_null() ? "unknown" : e["position"].dump());
    line("WAIT:", e["wait_s"].is_number()
                      ? absl::StrCat("about ",
                                     HumanDuration(absl::Seconds(
                                         std::ceil(e["wait_s"].get<double>()))),
                                     " (", Text(e, "basis"), ")")
                      : absl::StrCat("unknown (", Text(e, "basis"), ")"));
  }
  line("PROMPT:", Text(r, "prompt"));
  line("SEED:", Text(r, "seed"));
  line("IMAGES:", Text(r, "count"));
  line("ATTEMPT:", Text(r, "attempt"));
  line("WORKER:", Text(r, "worker"));
  line("AGE:", AgeOf(r["created_at"], now));
  if (!r["error"].is_null()) line("ERROR:", Text(r, "error"));
  if (r["timings"].is_object()) {
    std::string t;
    for (const auto& [k, v] : r["timings"].items()) {
      if (!v.is_null())
        absl::StrAppend(&t, t.empty() ? "" : " ", k, "=", v.dump());
    }
    if (!t.empty()) line("TIMINGS:", t);
  }
  for (const auto& url : r["images"]) line("IMAGE:", url.get<std::string>());
}

void Row(const nlohmann::json& r, bool wide, absl::Time now) {
  if (wide) {
    std::cout << absl::StrFormat("%-36s %-9s %-6s %-22s %-7s %-24s %-6s %s\n",
                                 Text(r, "id"), Text(r, "status"),
                                 AgeOf(r["created_at"], now), Where(r),
                                 Text(r, "attempt"), Text(r, "worker"),
                                 Text(r, "count"), Text(r, "prompt"));
  } else {
    std::cout << absl::StrFormat("%-36s %-9s %-6s %-22s %s\n", Text(r, "id"),
                                 Text(r, "status"), AgeOf(r["created_at"], now),
                                 Where(r), Shorten(Text(r, "prompt"), 40));
  }
}

}  // namespace

int RunGet(const RequestsOptions& o) {
  const Api api = ConnectApi(o.server);
  int worst = kExitOk;
  nlohmann::json all = nlohmann::json::array();
  const absl::Time now = absl::Now();
  bool first = true;
  for (const auto& id : o.ids) {
    int rc = kExitOk;
    auto r = CallApi(api, "GET", RequestPath(id), "", &rc);
    if (!r) {
      worst = std::max(worst, rc);
      continue;
    }
    if (o.output == "json") {
      all.push_back(*r);
    } else if (o.output == "wide") {
      if (first) {
        std::cout << absl::StrFormat(
            "%-36s %-9s %-6s %-22s %-7s %-24s %-6s %s\n", "ID", "STATUS", "AGE",
            "PROGRESS", "ATTEMPT", "WORKER", "IMAGES", "PROMPT");
      }
      Row(*r, true, now);
    } else {
      if (!first) std::cout << "\n";
      Describe(*r, now);
    }
    first = false;
  }
  if (o.output == "json" && !all.empty()) {
    std::cout << (o.ids.size() == 1 ? all[0] : all).dump(2) << "\n";
  }
  return worst;
}

int RunRequests(const RequestsOptions& o) {
  std::string path = absl::StrCat("/api/v1/requests?limit=", o.limit);
  if (!o.status.empty()) {
    absl::StrAppend(&path, "&status=", UrlEncode(o.status));
  }
  if (!o.query.empty()) {
    absl::StrAppend(&path, "&q=", UrlEncode(o.query));
  }
  int rc = kExitOk;
  auto j = CallApi(ConnectApi(o.server), "GET", path, "", &rc);
  if (!j) return rc;
  if (o.output == "json") {
    std::cout << j->dump(2) << "\n";
    return kExitOk;
  }
  const bool wide = o.output == "wide";
  if (wide) {
    std::cout << absl::StrFormat("%-36s %-9s %-6s %-22s %-7s %-24s %-6s %s\n",
                                 "ID", "STATUS", "AGE", "PROGRESS", "ATTEMPT",
                                 "WORKER", "IMAGES", "PROMPT");
  } else {
    std::cout << absl::StrFormat("%-36s %-9s %-6s %-22s %s\n", "ID", "STATUS",
                                 "AGE", "PROGRESS", "PROMPT");
  }
  const absl::Time now = absl::Now();
  for (const auto& r : (*j)["requests"]) Row(r, wide, now);
  if ((*j)["requests"].empty()) {
    std::cerr << "no requests"
              << (o.status.empty() && o.query.empty() ? ""
                                                      : " match the filters")
              << "\n";
  }
  return kExitOk;
}

int RunWait(const RequestsOptions& o) {
  Api api = ConnectApi(o.server);
  api.quiet_not_found = o.unknown_is_pending;
  const absl::Time deadline = o.timeout_s > 0
                                  ? absl::Now() + absl::Seconds(o.timeout_s)
                                  : absl::InfiniteFuture();
  std::map<std::string, nlohmann::json> last;
  std::vector<std::string> pending = o.ids;
  while (!pending.empty()) {
    std::vector<std::string> still;
    for (const auto& id : pending) {
      int rc = kExitOk, http = 0;
      auto r = CallApi(api, "GET", RequestPath(id), "", &rc, nullptr, &http);
      if (!r && http == 404 && o.unknown_is_pending) {
        last[id] = {{"id", id}, {"status", "queued"}};
        still.push_back(id);
        continue;
      }
      if (!r) return rc;  // unknown id, `ebb up` gone: nothing to wait for
      last[id] = *r;
      if (!Finished(r->value("status", ""))) still.push_back(id);
    }
    pending = std::move(still);
    if (pending.empty()) break;
    if (absl::Now() >= deadline) {
      for (const auto& id : pending) {
        std::cerr << "error: timed out after " << o.timeout_s
                  << " s waiting for " << id << " (still "
                  << Text(last[id], "status") << ")\n";
      }
      break;
    }
    absl::SleepFor(std::min(absl::Seconds(o.poll_s), deadline - absl::Now()));
  }
  int rc = pending.empty() ? kExitOk : kExitFailure;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& id : o.ids) {
    const nlohmann::json& r = last[id];
    const std::string status = Text(r, "status");
    if (Finished(status) && status != "done") rc = kExitFailure;
    if (o.output == "json") {
      all.push_back(r);
      continue;
    }
    std::string detail;
    if (status == "done") {
      for (const auto& url : r["images"]) {
        absl::StrAppend(&detail, " ", url.get<std::string>());
      }
    } else if (status == "failed") {
      detail = " " + Text(r, "error");
    }
    std::cout << id << " " << status << detail << "\n";
  }
  if (o.output == "json") std::cout << all.dump(2) << "\n";
  return rc;
}

int RunCancel(const RequestsOptions& o) {
  const Api api = ConnectApi(o.server);
  int worst = kExitOk;
  for (const auto& id : o.ids) {
    int rc = kExitOk;
    auto r = CallApi(api, "POST", RequestPath(id) + "/cancel", "", &rc);
    if (!r) {
      worst = std::max(worst, rc);
      continue;
    }
    if (o.output == "json") {
      std::cout << r->dump() << "\n";
    } else {
      std::cout << id << " cancelled\n";
    }
  }
  return worst;
}

int RunDelete(const RequestsOptions& o) {
  const Api api = ConnectApi(o.server);
  int worst = kExitOk;
  for (const auto& id : o.ids) {
    int rc = kExitOk;
    auto r = CallApi(api, "DELETE", RequestPath(id), "", &rc);
    if (!r) {
      worst = std::max(worst, rc);
      continue;
    }
    if (o.output == "json") {
      std::cout << r->dump() << "\n";
    } else {
      std::cout << id << " deleted (" << (*r)["removed"].size()
                << " object(s) removed)\n";
    }
  }
  return worst;
}

}  // namespace ebb::cli
