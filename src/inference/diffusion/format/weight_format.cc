// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/format/weight_format.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ebb::inference::diffusion {
namespace {

bool HasPickleName(const std::string& path) {
  std::string lower = absl::AsciiStrToLower(path);
  for (const char* ext : {".ckpt", ".pt", ".pth", ".bin", ".pkl"}) {
    if (absl::EndsWith(lower, ext)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<WeightFormat> DetectWeightFormat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    std::string msg = absl::StrCat(path, ": ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InternalError(msg);
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is a directory, not a weight file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InternalError(absl::StrCat(path, ": cannot open"));
  unsigned char head[9] = {};
  in.read(reinterpret_cast<char*>(head), sizeof(head));
  size_t got = static_cast<size_t>(in.gcount());

  if (got >= 4 && std::memcmp(head, "GGUF", 4) == 0) return WeightFormat::kGguf;
  if (got >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) {
    return WeightFormat::kPickle;
  }
  if (got >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) {
    return WeightFormat::kPickle;
  }
  if (got == 9 && head[8] == '{') {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | head[i];
    if (n >= 2) return WeightFormat::kSafetensors;
  }
  if (HasPickleName(path)) return WeightFormat::kPickle;
  return WeightFormat::kUnknown;
}

absl::Status CheckWeightFileFormat(const std::string& path) {
  auto format = DetectWeightFormat(path);
  if (!format.ok()) return format.status();
  switch (*format) {
    case WeightFormat::kSafetensors:
      return absl::OkStatus();
    case WeightFormat::kPickle:
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          " is a PyTorch pickle checkpoint (.ckpt/.pt/.pth/.bin). Loading a "
          "pickle runs code stored in the file, so ebb refuses it. Download "
          "the model's .safetensors variant, or convert this file once with "
          "PyTorch and the safetensors package: python3 -c \"import torch; "
          "from safetensors.torch import save_file; "
          "sd = torch.load('IN.ckpt', map_location='cpu', weights_only=True); "
          "sd = sd.get('state_dict', sd); "
          "save_file({k: v.contiguous() for k, v in sd.items() "
          "if isinstance(v, torch.Tensor)}, 'OUT.safetensors')\""));
    case WeightFormat::kGguf:
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          " is a GGUF file (ggml's quantized format), which ebb does not "
          "load: use the model's .safetensors weights (F32, F16 or BF16)"));
    case WeightFormat::kUnknown:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path,
      " is not a safetensors file (expected an 8-byte little-endian header "
      "length followed by a JSON object)"));
}

}  // namespace ebb::inference::diffusion
