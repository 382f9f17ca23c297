// SPDX-License-Identifier: Apache-2.0
#include "spec/scrub.h"

#include <string>
#include <vector>

#include "common/secrets.h"

namespace ebb::spec::internal {

void ScrubSecretValues(LoadResult* out, size_t from) {
  std::vector<std::string> values;
  for (const Secret& secret : out->manifests.secrets) {
    for (const auto& [key, value] : secret.data) {
      if (value.size() >= 4) values.push_back(value);
    }
  }
  if (values.empty()) return;
  for (size_t i = from; i < out->diagnostics.size(); ++i) {
    Diagnostic& d = out->diagnostics[i];
    d.message = MaskSecrets(d.message, values);
  }
}

}  // namespace ebb::spec::internal
