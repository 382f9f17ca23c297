// SPDX-License-Identifier: Apache-2.0
//
// File: common/secrets.h
//
// Secrets never reach logs, errors, metrics or the UI. Every string that may
// hold a URL with credentials (an AMQP URL from a Secret, a management API URL)
// goes through MaskUrlCredentials before it is printed; error bodies from
// servers go through MaskSecrets with the secret values known to the caller.
//
// Pure functions; thread-safe.
#ifndef EBB_COMMON_SECRETS_H_
#define EBB_COMMON_SECRETS_H_

#include <string>
#include <string_view>
#include <vector>

namespace ebb {

// Replaces the password of every "scheme://user:password@" in `text` with "***"
// (and a bare "scheme://token@" with "***@"). Text without credentials is
// returned unchanged. Example: "amqp://guest:guest@h:5672/" ->
// "amqp://guest:***@h:5672/".
std::string MaskUrlCredentials(std::string_view text);

// Replaces every occurrence of each non-empty value in `secrets` (and their
// URL-encoded forms) with "***", then applies MaskUrlCredentials.
std::string MaskSecrets(std::string_view text,
                        const std::vector<std::string>& secrets);

}  // namespace ebb

#endif  // EBB_COMMON_SECRETS_H_
