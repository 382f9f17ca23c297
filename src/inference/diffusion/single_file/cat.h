// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/single_file/cat.h (private to single_file/)
//
// absl::StrCat that also takes std::string_view (Debian's absl has its own
// string_view type, which std::string_view does not convert to).
#ifndef EBB_INFERENCE_DIFFUSION_SINGLE_FILE_CAT_H_
#define EBB_INFERENCE_DIFFUSION_SINGLE_FILE_CAT_H_

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace ebb::inference::diffusion::single_file_internal {

template <typename T>
decltype(auto) CatArg(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return absl::string_view(v.data(), v.size());
  } else {
    return (v);
  }
}

template <typename... A>
std::string Cat(const A&... a) {
  return absl::StrCat(CatArg(a)...);
}

}  // namespace ebb::inference::diffusion::single_file_internal

#endif  // EBB_INFERENCE_DIFFUSION_SINGLE_FILE_CAT_H_
