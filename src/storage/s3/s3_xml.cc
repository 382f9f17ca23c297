// SPDX-License-Identifier: Apache-2.0
#include "storage/s3/s3_xml.h"

#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace ebb::storage::s3 {
namespace {

bool NameChar(char c) {
  return c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\n' &&
         c != '\r';
}

// Appends the UTF-8 encoding of `cp`.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the entity at text[i] == '&' into *out; returns the index after
// it, or i + 1 (with '&' kept) for an unknown or malformed one.
size_t DecodeEntity(std::string_view text, size_t i, std::string* out) {
  size_t semi = text.find(';', i);
  if (semi == std::string_view::npos || semi - i > 12) {
    out->push_back('&');
    return i + 1;
  }
  std::string_view name = text.substr(i + 1, semi - i - 1);
  if (name == "amp") {
    out->push_back('&');
  } else if (name == "lt") {
    out->push_back('<');
  } else if (name == "gt") {
    out->push_back('>');
  } else if (name == "quot") {
    out->push_back('"');
  } else if (name == "apos") {
    out->push_back('\'');
  } else if (name.size() > 1 && name[0] == '#') {
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string digits(name.substr(hex ? 2 : 1));
    uint32_t cp = 0;
    bool ok = !digits.empty() && (hex ? absl::SimpleHexAtoi(digits, &cp)
                                      : absl::SimpleAtoi(digits, &cp));
    if (!ok) {
      out->push_back('&');
      return i + 1;
    }
    AppendUtf8(cp, out);
  } else {
    out->push_back('&');
    return i + 1;
  }
  return semi + 1;
}

// Index of the next '<' starting a real tag at or after `pos` (comments,
// processing instructions and CDATA skipped), or npos.
size_t NextTag(std::string_view xml, size_t pos) {
  while ((pos = xml.find('<', pos)) != std::string_view::npos) {
    std::string_view rest = xml.substr(pos);
    size_t end = std::string_view::npos;
    if (rest.substr(0, 4) == "<!--") {
      end = xml.find("-->", pos + 4);
      if (end != std::string_view::npos) end += 3;
    } else if (rest.substr(0, 9) == "<![CDATA[") {
      end = xml.find("]]>", pos + 9);
      if (end != std::string_view::npos) end += 3;
    } else if (rest.substr(0, 2) == "<?" || rest.substr(0, 2) == "<!") {
      end = xml.find('>', pos);
      if (end != std::string_view::npos) end += 1;
    } else {
      return pos;
    }
    if (end == std::string_view::npos) return std::string_view::npos;
    pos = end;
  }
  return pos;
}

// The local name of the tag at xml[lt] ('<' or "</"), without a prefix.
std::string_view TagName(std::string_view xml, size_t lt, bool* closing) {
  size_t i = lt + 1;
  *closing = i < xml.size() && xml[i] == '/';
  if (*closing) ++i;
  size_t start = i;
  while (i < xml.size() && NameChar(xml[i])) ++i;
  std::string_view name = xml.substr(start, i - start);
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

}  // namespace

std::vector<std::string_view> XmlElements(std::string_view xml,
                                          std::string_view name) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while ((pos = NextTag(xml, pos)) != std::string_view::npos) {
    bool closing = false;
    std::string_view tag = TagName(xml, pos, &closing);
    size_t gt = xml.find('>', pos);
    if (gt == std::string_view::npos) break;
    if (closing || tag != name) {
      pos = gt + 1;
      continue;
    }
    if (xml[gt - 1] == '/') {  // <name/>
      out.push_back(xml.substr(gt + 1, 0));
      pos = gt + 1;
      continue;
    }
    // Find the matching close tag, counting nested same-name elements.
    size_t begin = gt + 1;
    int depth = 1;
    size_t scan = begin;
    size_t end = std::string_view::npos;
    while (depth > 0 && (scan = NextTag(xml, scan)) != std::string_view::npos) {
      bool c = false;
      std::string_view t = TagName(xml, scan, &c);
      size_t g = xml.find('>', scan);
      if (g == std::string_view::npos) break;
      if (t == name && !(xml[g - 1] == '/')) {
        depth += c ? -1 : 1;
        if (depth == 0) end = scan;
      }
      scan = g + 1;
    }
    if (end == std::string_view::npos) break;  // unterminated: stop
    out.push_back(xml.substr(begin, end - begin));
    pos = scan;
  }
  return out;
}

std::optional<std::string> XmlText(std::string_view xml,
                                   std::string_view name) {
  std::vector<std::string_view> all = XmlElements(xml, name);
  if (all.empty()) return std::nullopt;
  return XmlUnescape(all.front());
}

std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, 9) == "<![CDATA[") {
      size_t end = text.find("]]>", i + 9);
      if (end == std::string_view::npos) end = text.size();
      out.append(text.substr(i + 9, end - i - 9));
      i = end + 3;
    } else if (text[i] == '&') {
      i = DecodeEntity(text, i, &out);
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

absl::StatusOr<ListPage> ParseListObjectsV2(std::string_view xml) {
  if (XmlElements(xml, "ListBucketResult").empty()) {
    return absl::InvalidArgumentError(
        "ListObjectsV2 response is not a ListBucketResult");
  }
  ListPage page;
  for (std::string_view contents : XmlElements(xml, "Contents")) {
    ObjectInfo info;
    std::optional<std::string> key = XmlText(contents, "Key");
    if (!key || key->empty()) {
      return absl::InvalidArgumentError("ListObjectsV2: a Contents has no Key");
    }
    info.key = *key;
    std::string size = XmlText(contents, "Size").value_or("0");
    if (!absl::SimpleAtoi(size, &info.size) || info.size < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("ListObjectsV2: bad Size \"", size, "\""));
    }
    std::string etag = XmlText(contents, "ETag").value_or("");
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
      etag = etag.substr(1, etag.size() - 2);
    }
    info.etag = etag;
    std::string modified = XmlText(contents, "LastModified").value_or("");
    std::string err;
    if (!absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", modified, &info.modified,
                         &err)) {
      info.modified = absl::InfinitePast();
    }
    page.objects.push_back(std::move(info));
  }
  page.is_truncated = XmlText(xml, "IsTruncated").value_or("false") == "true";
  page.next_continuation_token =
      XmlText(xml, "NextContinuationToken").value_or("");
  if (page.is_truncated && page.next_continuation_token.empty()) {
    return absl::InvalidArgumentError(
        "ListObjectsV2: truncated page without NextContinuationToken");
  }
  return page;
}

S3Error ParseS3Error(std::string_view xml) {
  S3Error e;
  std::vector<std::string_view> err = XmlElements(xml, "Error");
  if (err.empty()) return e;
  e.code = XmlText(err.front(), "Code").value_or("");
  e.message = XmlText(err.front(), "Message").value_or("");
  return e;
}

}  // namespace ebb::storage::s3
