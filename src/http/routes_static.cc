// SPDX-License-Identifier: Apache-2.0
// The web UI's static files, served from ApiContext::web_root (no build step:
// plain HTML, ES modules and CSS). The files themselves need no token; the API
// calls they make do (cookie set by /login). Paths under /api, /metrics,
// /healthz, /readyz and /login are never matched here, so the API's own routes
// and 404s stay theirs.
#include <httplib.h>

#include <string>

#include "common/files.h"
#include "http/api_context.h"

namespace ebb::http {
namespace {

// The Content-Type for a file name, or "" for a type the UI does not serve.
std::string ContentTypeFor(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || path.find('/', dot) != std::string::npos)
    return "";
  const std::string ext = path.substr(dot);
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "";
}

void NotFound(httplib::Response& res) {
  res.status = 404;
  res.set_content("not found\n", "text/plain; charset=utf-8");
}

void ServeFile(const std::string& root, const httplib::Request& req,
               httplib::Response& res) {
  std::string rel = req.matches[1];
  if (rel.empty()) rel = "index.html";
  if (!IsPlainRelativePath(rel)) {
    // A directory ("js/") is simply not a file; "..", "." and "//" are bad.
    if (rel.back() == '/' && IsPlainRelativePath(rel.substr(0, rel.size() - 1)))
      return NotFound(res);
    res.status = 400;
    return res.set_content(
        "bad path: '..', '.' and empty segments are refused\n",
        "text/plain; charset=utf-8");
  }
  const std::string type = ContentTypeFor(rel);
  if (type.empty()) return NotFound(res);
  // Never outside the web root: a symbolic link out of it is refused (403).
  absl::StatusOr<std::string> body = ReadFileUnderRoot(root, rel);
  if (absl::IsPermissionDenied(body.status())) {
    res.status = 403;
    return res.set_content("refused: a link out of the web root\n",
                           "text/plain; charset=utf-8");
  }
  if (!body.ok()) return NotFound(res);

  // Revalidate every time: the files are small and change with each ebb build.
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  if (type.rfind("text/html", 0) == 0) {
    res.set_header(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; "
        "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'");
    res.set_header("Referrer-Policy", "no-referrer");
  }
  res.set_content(std::move(*body), type.c_str());
}

}  // namespace

void RegisterStaticRoutes(httplib::Server& s, ApiContext& ctx) {
  if (ctx.web_root.empty()) return;
  // Everything except the API's own prefixes; matches[1] is the path without
  // its leading '/'.
  s.Get(R"(/(?!api(?:/|$)|metrics$|healthz$|readyz$|login$)(.*))",
        [&ctx](const httplib::Request& req, httplib::Response& res) {
          ServeFile(ctx.web_root, req, res);
        });
}

}  // namespace ebb::http
