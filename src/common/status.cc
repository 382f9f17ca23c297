// SPDX-License-Identifier: Apache-2.0
#include "common/status.h"

#include "absl/strings/str_cat.h"

namespace ebb {

absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(std::string(context), ": ",
                                                  status.message()));
}

}  // namespace ebb
