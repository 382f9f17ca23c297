// SPDX-License-Identifier: Apache-2.0
// Placeholder: the queue routes of docs/api.md are registered here.
#include "http/api_context.h"

namespace ebb::http {

void RegisterQueueRoutes(httplib::Server& s, ApiContext& ctx) {}

}  // namespace ebb::http
