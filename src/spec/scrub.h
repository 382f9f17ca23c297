// SPDX-License-Identifier: Apache-2.0
//
// File: spec/scrub.h
//
// Internal to spec/: defence in depth for "a Secret value never appears in a
// Diagnostic". Messages are built from keys and names only; this pass also
// masks any loaded Secret value that a message might still carry.
#ifndef EBB_SPEC_SCRUB_H_
#define EBB_SPEC_SCRUB_H_

#include <cstddef>

#include "spec/manifests.h"

namespace ebb::spec::internal {

// Masks, in diagnostics[from..], every value of every Secret in
// out->manifests (values shorter than 4 characters are left alone: masking
// them would garble ordinary words and numbers).
void ScrubSecretValues(LoadResult* out, size_t from);

}  // namespace ebb::spec::internal

#endif  // EBB_SPEC_SCRUB_H_
