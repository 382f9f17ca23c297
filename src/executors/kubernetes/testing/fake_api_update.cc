// SPDX-License-Identifier: Apache-2.0
//
// The double's update (PUT) and patch (PATCH) of one object, as a real API
// server does them: optimistic concurrency on metadata.resourceVersion (409
// Conflict), JSON merge patches (RFC 7386; other patch types answer 415),
// the status subresource (.../status changes only .status, and an update of
// the object leaves its .status alone), metadata.generation bumped when
// anything but metadata and status changes, and uid / creationTimestamp kept.
#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "executors/kubernetes/testing/fake_api_server.h"

namespace ebb::executors::kubernetes::testing {
namespace {

void ReplyStatus(httplib::Response& res, int code, const std::string& reason,
                 const std::string& message, const Json& details = {}) {
  res.status = code;
  res.set_content(StatusBody(code, reason, message,
                             details.is_null() ? Json::object() : details)
                      .dump(),
                  "application/json");
}

// The object without what does not count for metadata.generation.
Json SpecPart(Json o) {
  for (const char* key : {"metadata", "status", "apiVersion", "kind"}) {
    o.erase(key);
  }
  return o;
}

}  // namespace

void FakeApiServer::ServeUpdate(const Route& route, const httplib::Request& req,
                                httplib::Response& res) {
  const ResourceInfo info = LookupResource(route.resource);
  const Json details = {
      {"name", route.name}, {"group", route.group}, {"kind", route.resource}};
  const bool patch = route.verb == "patch";
  if (patch && req.get_header_value("Content-Type")
                       .rfind("application/merge-patch+json", 0) != 0) {
    return ReplyStatus(
        res, 415, "UnsupportedMediaType",
        absl::StrCat("the body of the request was in an unknown format - "
                     "accepted media types include: "
                     "application/merge-patch+json (the double supports "
                     "JSON merge patches only), got \"",
                     req.get_header_value("Content-Type"), "\""));
  }
  const Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ReplyStatus(res, 400, "BadRequest",
                       "the request body is not a JSON object");
  }
  const Json meta = body.contains("metadata") && body["metadata"].is_object()
                        ? body["metadata"]
                        : Json::object();
  if (meta.contains("resourceVersion") &&
      !meta["resourceVersion"].is_string()) {
    return ReplyStatus(res, 400, "BadRequest",
                       "metadata.resourceVersion must be a string");
  }
  if (!patch) {
    // A PUT names its object; the API server checks the name first.
    const std::string body_name =
        meta.contains("name") && meta["name"].is_string()
            ? meta["name"].get<std::string>()
            : "";
    if (body_name != route.name) {
      return ReplyStatus(res, 400, "BadRequest",
                         absl::StrCat("the name of the object (", body_name,
                                      ") does not match the name on the URL (",
                                      route.name, ")"));
    }
    // Leases (coordination's strategy) do not allow unconditional updates.
    if (route.resource == "leases" &&
        meta.value("resourceVersion", "").empty() &&
        store_->Get(route.resource, route.ns, route.name)) {
      const std::string field = "metadata.resourceVersion";
      const std::string why = "must be specified for an update";
      return ReplyStatus(
          res, 422, "Invalid",
          absl::StrCat(info.kind, ".", route.group, " \"", route.name,
                       "\" is invalid: ", field, ": Invalid value: 0x0: ", why),
          {{"name", route.name},
           {"group", route.group},
           {"kind", info.kind},
           {"causes",
            {{{"reason", "FieldValueInvalid"},
              {"message", absl::StrCat("Invalid value: 0x0: ", why)},
              {"field", field}}}}});
    }
  }
  const bool status_only = route.subresource == "status";
  if (!route.subresource.empty() && !(status_only && info.status_subresource)) {
    return ReplyStatus(res, 404, "NotFound",
                       "the server could not find the requested resource");
  }
  auto stored = store_->Modify(
      route.resource, route.ns, route.name,
      [&](const Json& old) -> absl::StatusOr<Json> {
        Json next;
        if (patch) {
          next = old;
          next.merge_patch(body);
        } else {
          const std::string want =
              body.contains("metadata") && body["metadata"].is_object()
                  ? body["metadata"].value("resourceVersion", "")
                  : "";
          if (!want.empty() &&
              want != old["metadata"].value("resourceVersion", "")) {
            return absl::AbortedError("conflict");
          }
          next = body;
        }
        if (status_only) {
          Json out = old;
          if (next.contains("status")) {
            out["status"] = next["status"];
          } else {
            out.erase("status");
          }
          return out;
        }
        if (route.resource == "secrets") NormalizeSecret(next);
        if (!next.contains("metadata") || !next["metadata"].is_object()) {
          next["metadata"] = Json::object();
        }
        Json& meta = next["metadata"];
        for (const char* key : {"name", "uid", "creationTimestamp"}) {
          if (old["metadata"].contains(key)) meta[key] = old["metadata"][key];
        }
        if (info.status_subresource) {
          if (old.contains("status")) {
            next["status"] = old["status"];
          } else {
            next.erase("status");
          }
        }
        const int64_t generation = old["metadata"].value("generation", 1);
        meta["generation"] =
            SpecPart(old) == SpecPart(next) ? generation : generation + 1;
        return next;
      });
  if (absl::IsNotFound(stored.status())) {
    return ReplyStatus(
        res, 404, "NotFound",
        absl::StrCat(route.Qualified(), " \"", route.name, "\" not found"),
        details);
  }
  if (!stored.ok()) {
    return ReplyStatus(
        res, 409, "Conflict",
        absl::StrCat("Operation cannot be fulfilled on ", route.Qualified(),
                     " \"", route.name,
                     "\": the object has been modified; please apply your "
                     "changes to the latest version and try again"),
        details);
  }
  res.status = 200;
  res.set_content(stored->dump(), "application/json");
}

}  // namespace ebb::executors::kubernetes::testing
