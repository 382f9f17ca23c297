// SPDX-License-Identifier: Apache-2.0
// Placeholder: the static routes of docs/api.md are registered here.
#include "http/api_context.h"

namespace ebb::http {

void RegisterStaticRoutes(httplib::Server& s, ApiContext& ctx) {}

}  // namespace ebb::http
