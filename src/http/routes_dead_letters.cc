// SPDX-License-Identifier: Apache-2.0
// Placeholder: the dead letters routes of docs/api.md are registered here.
#include "http/api_context.h"

namespace ebb::http {

void RegisterDeadLetterRoutes(httplib::Server& s, ApiContext& ctx) {}

}  // namespace ebb::http
