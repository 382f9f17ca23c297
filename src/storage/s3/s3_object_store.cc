// SPDX-License-Identifier: Apache-2.0
#include "storage/s3/s3_object_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "common/status.h"
#include "storage/s3/s3_xml.h"

namespace ebb::storage {
namespace {

using s3::HttpRequest;
using s3::HttpResponse;

std::string Trimmed(std::string p) {
  while (!p.empty() && p.front() == '/') p.erase(p.begin());
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

std::string Unquoted(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    return etag.substr(1, etag.size() - 2);
  }
  return etag;
}

std::string Header(const HttpResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

}  // namespace

absl::StatusOr<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Create(
    S3Options options) {
  options.prefix = Trimmed(options.prefix);
  EBB_RETURN_IF_ERROR(ValidateS3Options(options));
  if (!options.prefix.empty()) {
    EBB_RETURN_IF_ERROR(ValidateObjectKey(options.prefix));
  }
  return std::unique_ptr<S3ObjectStore>(new S3ObjectStore(std::move(options)));
}

S3ObjectStore::S3ObjectStore(S3Options options)
    : prefix_(options.prefix.empty() ? "" : options.prefix + "/"),
      client_(std::move(options)) {}

absl::Status S3ObjectStore::Put(const std::string& key, std::string_view data,
                                const std::string& content_type) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  const std::string full = FullKey(key);
  if (static_cast<int64_t>(data.size()) >
      client_.options().multipart_threshold) {
    return PutMultipart(full, key, data, content_type);
  }
  HttpRequest req{.method = "PUT",
                  .key = full,
                  .body = data,
                  .content_type = content_type,
                  .what = absl::StrCat("PUT ", key)};
  return client_.Send(req).status();
}

absl::Status S3ObjectStore::PutMultipart(const std::string& full,
                                         const std::string& key,
                                         std::string_view data,
                                         const std::string& content_type) {
  HttpRequest create{.method = "POST",
                     .key = full,
                     .query = {{"uploads", ""}},
                     .content_type = content_type,
                     .what = absl::StrCat("PUT ", key, " (create multipart)")};
  EBB_ASSIGN_OR_RETURN(HttpResponse created, client_.Send(create));
  std::optional<std::string> upload_id = s3::XmlText(created.body, "UploadId");
  if (!upload_id || upload_id->empty()) {
    return absl::InternalError(absl::StrCat(
        Describe(), ": PUT ", key, ": CreateMultipartUpload gave no UploadId"));
  }
  auto abort = [&](absl::Status cause) {
    HttpRequest req{.method = "DELETE",
                    .key = full,
                    .query = {{"uploadId", *upload_id}},
                    .what = absl::StrCat("PUT ", key, " (abort multipart)")};
    (void)client_.Send(req);  // best effort: the cause is what matters
    return cause;
  };
  const int64_t part_size = client_.options().part_size;
  std::string complete = "<CompleteMultipartUpload>";
  int part = 0;
  for (size_t off = 0; off < data.size(); off += part_size) {
    ++part;
    HttpRequest req{.method = "PUT",
                    .key = full,
                    .query = {{"partNumber", std::to_string(part)},
                              {"uploadId", *upload_id}},
                    .body = data.substr(off, part_size),
                    .content_type = "application/octet-stream",
                    .what = absl::StrCat("PUT ", key, " (part ", part, ")")};
    absl::StatusOr<HttpResponse> r = client_.Send(req);
    if (!r.ok()) return abort(r.status());
    std::string etag = Header(*r, "etag");
    if (etag.empty()) {
      return abort(absl::InternalError(absl::StrCat(
          Describe(), ": ", req.what, ": UploadPart answered without ETag")));
    }
    absl::StrAppend(&complete, "<Part><PartNumber>", part,
                    "</PartNumber><ETag>",
                    absl::StrReplaceAll(etag, {{"&", "&amp;"}, {"<", "&lt;"}}),
                    "</ETag></Part>");
  }
  complete += "</CompleteMultipartUpload>";
  HttpRequest done{.method = "POST",
                   .key = full,
                   .query = {{"uploadId", *upload_id}},
                   .body = complete,
                   .content_type = "application/xml",
                   .what = absl::StrCat("PUT ", key, " (complete multipart)")};
  absl::StatusOr<HttpResponse> r = client_.Send(done);
  if (!r.ok()) return abort(r.status());
  // S3 may answer 200 and still report an error in the body.
  if (!s3::ParseS3Error(r->body).code.empty()) {
    return abort(client_.ErrorFor(done, *r));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> S3ObjectStore::Get(const std::string& key) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  HttpRequest req{
      .method = "GET", .key = FullKey(key), .what = absl::StrCat("GET ", key)};
  EBB_ASSIGN_OR_RETURN(HttpResponse r, client_.Send(req));
  return std::move(r.body);
}

absl::StatusOr<ObjectInfo> S3ObjectStore::Head(const std::string& key) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  HttpRequest req{.method = "HEAD",
                  .key = FullKey(key),
                  .what = absl::StrCat("HEAD ", key)};
  EBB_ASSIGN_OR_RETURN(HttpResponse r, client_.Send(req));
  ObjectInfo info;
  info.key = key;
  if (!absl::SimpleAtoi(Header(r, "content-length"), &info.size)) {
    info.size = 0;
  }
  info.etag = Unquoted(Header(r, "etag"));
  std::string err;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", Header(r, "last-modified"),
                       &info.modified, &err)) {
    info.modified = absl::InfinitePast();
  }
  return info;
}

absl::StatusOr<std::vector<ObjectInfo>> S3ObjectStore::List(
    const std::string& prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  const std::string full_prefix = FullKey(prefix);
  do {
    HttpRequest req{
        .method = "GET",
        .query = {{"list-type", "2"},
                  {"max-keys",
                   std::to_string(client_.options().list_page_size)}},
        .what = absl::StrCat("LIST ", prefix)};
    if (!full_prefix.empty()) req.query["prefix"] = full_prefix;
    if (!token.empty()) req.query["continuation-token"] = token;
    list_requests_.fetch_add(1);
    EBB_ASSIGN_OR_RETURN(HttpResponse r, client_.Send(req));
    absl::StatusOr<s3::ListPage> page = s3::ParseListObjectsV2(r.body);
    if (!page.ok()) {
      return absl::InternalError(absl::StrCat(Describe(), ": ", req.what, ": ",
                                              page.status().message()));
    }
    for (ObjectInfo& o : page->objects) {
      if (o.key.compare(0, prefix_.size(), prefix_) != 0) continue;
      o.key = o.key.substr(prefix_.size());
      if (!ValidateObjectKey(o.key).ok()) continue;  // "dir/" markers etc.
      out.push_back(std::move(o));
    }
    token = page->is_truncated ? page->next_continuation_token : "";
  } while (!token.empty());
  std::sort(
      out.begin(), out.end(),
      [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

absl::Status S3ObjectStore::Delete(const std::string& key) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  HttpRequest req{.method = "DELETE",
                  .key = FullKey(key),
                  .what = absl::StrCat("DELETE ", key)};
  absl::Status s = client_.Send(req).status();
  // Absent is fine (S3 answers 204 anyway); a missing bucket is not.
  if (absl::IsNotFound(s) &&
      s.message().find("NoSuchBucket") == absl::string_view::npos) {
    return absl::OkStatus();
  }
  return s;
}

absl::StatusOr<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(
    const std::string& uri) {
  EBB_ASSIGN_OR_RETURN(S3Options options, S3OptionsFromUri(uri, ProcessEnv()));
  EBB_ASSIGN_OR_RETURN(std::unique_ptr<S3ObjectStore> store,
                       S3ObjectStore::Create(std::move(options)));
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace ebb::storage
