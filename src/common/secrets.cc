// SPDX-License-Identifier: Apache-2.0
#include "common/secrets.h"

#include <cctype>

#include "absl/strings/str_replace.h"

namespace ebb {
namespace {

std::string PercentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::string MaskUrlCredentials(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t scheme_end = text.find("://", i);
    if (scheme_end == std::string_view::npos) break;
    size_t auth_start = scheme_end + 3;
    // The authority ends at the first '/', '?', '#' or whitespace.
    size_t auth_end = auth_start;
    while (auth_end < text.size() && text[auth_end] != '/' &&
           text[auth_end] != '?' && text[auth_end] != '#' &&
           !std::isspace(static_cast<unsigned char>(text[auth_end])) &&
           text[auth_end] != '"' && text[auth_end] != '\'') {
      ++auth_end;
    }
    std::string_view authority = text.substr(auth_start, auth_end - auth_start);
    size_t at = authority.rfind('@');
    out.append(text.substr(i, auth_start - i));
    if (at == std::string_view::npos) {
      out.append(authority);
    } else {
      std::string_view userinfo = authority.substr(0, at);
      size_t colon = userinfo.find(':');
      if (colon == std::string_view::npos) {
        out.append("***");
      } else {
        out.append(userinfo.substr(0, colon));
        out.append(":***");
      }
      out.append(authority.substr(at));
    }
    i = auth_end;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

std::string MaskSecrets(std::string_view text,
                        const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& s : secrets) {
    if (s.size() < 3)
      continue;  // Too short to mask without destroying the text.
    out = absl::StrReplaceAll(out, {{s, "***"}});
    std::string encoded = PercentEncode(s);
    if (encoded != s) out = absl::StrReplaceAll(out, {{encoded, "***"}});
  }
  return MaskUrlCredentials(out);
}

}  // namespace ebb
