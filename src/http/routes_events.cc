// SPDX-License-Identifier: Apache-2.0
// Placeholder: the events routes of docs/api.md are registered here.
#include "http/api_context.h"

namespace ebb::http {

void RegisterEventRoutes(httplib::Server& s, ApiContext& ctx) {}

}  // namespace ebb::http
