// SPDX-License-Identifier: Apache-2.0
// The web UI's static files, served from ApiContext::web_root (no build step:
// plain HTML, ES modules and CSS). The files themselves need no token; the API
// calls they make do (cookie set by /login). Paths under /api, /metrics,
// /healthz, /readyz and /login are never matched here, so the API's own routes
// and 404s stay theirs.
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

// True when a '/'-separated relative path has no "..", "." or empty segment, no
// backslash and no NUL: it names a file below the root, never above it.
bool SafeRelativePath(const std::string& rel) {
  if (rel.empty() || rel.find('\\') != std::string::npos ||
      rel.find('\0') != std::string::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    const std::string seg = rel.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = end + 1;
  }
  return true;
}

void NotFound(httplib::Response& res) {
  res.status = 404;
  res.set_content("not found\n", "text/plain; charset=utf-8");
}

void ServeFile(const std::string& root, const httplib::Request& req,
               httplib::Response& res) {
  std::string rel = req.matches[1];
  if (rel.empty()) rel = "index.html";
  const std::string type = ContentTypeFor(rel);
  if (!SafeRelativePath(rel) || type.empty()) return NotFound(res);

  // Defence in depth: the resolved file must still lie under the resolved root
  // (a symlink out of web/ is not followed).
  std::error_code ec;
  const auto base = std::filesystem::weakly_canonical(root, ec);
  if (ec) return NotFound(res);
  const auto file = std::filesystem::weakly_canonical(base / rel, ec);
  if (ec || !std::filesystem::is_regular_file(file, ec)) return NotFound(res);
  const std::string base_str = base.string() + "/";
  if (file.string().compare(0, base_str.size(), base_str) != 0)
    return NotFound(res);

  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFound(res);
  std::ostringstream body;
  body << in.rdbuf();

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
  res.set_content(body.str(), type.c_str());
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
