// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/format/mapped_file.h
//
// MappedFile: a read-only, shared memory map of a whole file. Weights are
// mapped rather than read so that several worker processes on one machine
// share one copy in the page cache.
//
// Errors: NotFound when the file does not exist; InvalidArgument for a
// directory; Internal for other open/stat/mmap failures (the message names the
// path and errno's text). An empty file maps to size() == 0, data() ==
// nullptr.
//
// Thread-safety: immutable after Open; safe to read from any thread.
#ifndef EBB_INFERENCE_DIFFUSION_FORMAT_MAPPED_FILE_H_
#define EBB_INFERENCE_DIFFUSION_FORMAT_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ebb::inference::diffusion {

class MappedFile {
 public:
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(
      const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_FORMAT_MAPPED_FILE_H_
