// SPDX-License-Identifier: Apache-2.0
//
// File: storage/s3/s3_object_store.h
//
// S3ObjectStore: an ObjectStore in an S3-compatible bucket (AWS S3, MinIO,
// s3rver), selected by OpenObjectStore for "s3://bucket/prefix" URIs (see
// s3_options.h for the URI and environment). Key "a/b c.png" is the object
// "<prefix>/a/b c.png". Requests are SigV4-signed by libcurl and retried per
// S3Options (s3_client.h); errors name the bucket, endpoint, operation and
// S3 error code, never the secret.
//
// Put is atomic as S3 makes it: a single PUT, or above multipart_threshold a
// multipart upload (CreateMultipartUpload, UploadPart..., Complete) that is
// aborted on failure, so readers never see a partial object. The object's
// Content-Type is the one given (application/octet-stream if ""). Etags are
// S3's (an MD5 for single PUTs, "<md5>-<parts>" for multipart), not
// ContentEtag. List pages through ListObjectsV2 with continuation tokens and
// skips objects whose names are not valid ebb keys (such as "dir/" markers).
//
// Threading: safe for concurrent use (see S3Client).
#ifndef EBB_STORAGE_S3_S3_OBJECT_STORE_H_
#define EBB_STORAGE_S3_S3_OBJECT_STORE_H_

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/object_store.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_options.h"

namespace ebb::storage {

class S3ObjectStore : public ObjectStore {
 public:
  // InvalidArgument for bad options (ValidateS3Options). Makes no request:
  // a missing bucket or bad credentials show on the first call.
  static absl::StatusOr<std::unique_ptr<S3ObjectStore>> Create(
      S3Options options);

  // ObjectStore (see the interface).
  absl::Status Put(const std::string& key, std::string_view data,
                   const std::string& content_type) override;
  absl::StatusOr<std::string> Get(const std::string& key) override;
  absl::StatusOr<ObjectInfo> Head(const std::string& key) override;
  absl::StatusOr<std::vector<ObjectInfo>> List(
      const std::string& prefix) override;
  absl::Status Delete(const std::string& key) override;
  // "s3://bucket/prefix at http://host:port".
  std::string Describe() const override { return client_.Describe(); }

  // Requests retried so far (for tests and metrics).
  int64_t retries() const { return client_.retries(); }
  // ListObjectsV2 requests sent so far (for tests of paging).
  int64_t list_requests() const { return list_requests_.load(); }

 private:
  explicit S3ObjectStore(S3Options options);
  std::string FullKey(const std::string& key) const { return prefix_ + key; }
  absl::Status PutMultipart(const std::string& full, const std::string& key,
                            std::string_view data,
                            const std::string& content_type);

  const std::string prefix_;  // "" or "dir/"
  s3::S3Client client_;
  std::atomic<int64_t> list_requests_{0};
};

// Opens an S3ObjectStore for `uri` with S3OptionsFromUri and the process
// environment (the selector's s3:// branch).
absl::StatusOr<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(
    const std::string& uri);

}  // namespace ebb::storage

#endif  // EBB_STORAGE_S3_S3_OBJECT_STORE_H_
