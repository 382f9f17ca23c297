// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/tokenizer/unicode_text.h"

#include <algorithm>
#include <array>
#include <utility>

namespace ebb::inference::diffusion {
namespace {

using Range = std::pair<char32_t, char32_t>;  // inclusive

// Letter ranges (general category L*) of the blocks prompts use. Sorted.
constexpr Range kLetters[] = {
    {U'A', U'Z'},     {U'a', U'z'},     {0xAA, 0xAA},     {0xB5, 0xB5},
    {0xBA, 0xBA},     {0xC0, 0xD6},     {0xD8, 0xF6},     {0xF8, 0x2C1},
    {0x2C6, 0x2D1},   {0x2E0, 0x2E4},   {0x370, 0x374},   {0x376, 0x377},
    {0x37A, 0x37D},   {0x37F, 0x37F},   {0x386, 0x386},   {0x388, 0x3FF},
    {0x400, 0x481},   {0x48A, 0x52F},   {0x531, 0x556},   {0x560, 0x588},
    {0x5D0, 0x5EA},   {0x620, 0x64A},   {0x671, 0x6D3},   {0x904, 0x939},
    {0x93D, 0x93D},   {0x950, 0x950},   {0x958, 0x961},   {0x985, 0x9B9},
    {0xE01, 0xE30},   {0xE32, 0xE33},   {0xE40, 0xE46},   {0x10A0, 0x10FF},
    {0x1100, 0x11FF}, {0x1E00, 0x1FBC}, {0x1FC2, 0x1FCC}, {0x1FD0, 0x1FDB},
    {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FFC}, {0x3041, 0x3096}, {0x309D, 0x309F},
    {0x30A1, 0x30FA}, {0x30FC, 0x30FF}, {0x3105, 0x312F}, {0x3131, 0x318E},
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
    {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0xFF66, 0xFF9D}, {0x20000, 0x2FFFF},
};

// Number ranges (N*: Nd, Nl, No) of common blocks. Sorted.
constexpr Range kNumbers[] = {
    {U'0', U'9'},     {0xB2, 0xB3},     {0xB9, 0xB9},     {0xBC, 0xBE},
    {0x660, 0x669},   {0x6F0, 0x6F9},   {0x966, 0x96F},   {0x9E6, 0x9EF},
    {0xE50, 0xE59},   {0x2070, 0x2070}, {0x2074, 0x2079}, {0x2080, 0x2089},
    {0x2150, 0x2189}, {0x2460, 0x249B}, {0x24EA, 0x24FF}, {0x2776, 0x2793},
    {0x3007, 0x3007}, {0x3021, 0x3029}, {0xFF10, 0xFF19},
};

template <size_t N>
bool InRanges(const Range (&ranges)[N], char32_t c) {
  auto it =
      std::upper_bound(std::begin(ranges), std::end(ranges), c,
                       [](char32_t v, const Range& r) { return v < r.first; });
  if (it == std::begin(ranges)) return false;
  --it;
  return c <= it->second;
}

constexpr std::array<const char*, 9> kSpecialsAndContractions = {
    "<|startoftext|>",
    "<|endoftext|>",
    "'s",
    "'t",
    "'re",
    "'ve",
    "'m",
    "'ll",
    "'d"};

}  // namespace

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    int len = b < 0x80         ? 1
              : (b >> 5) == 6  ? 2
              : (b >> 4) == 14 ? 3
              : (b >> 3) == 30 ? 4
                               : 0;
    char32_t c = len == 1   ? b
                 : len == 2 ? (b & 0x1F)
                 : len == 3 ? (b & 0x0F)
                            : (b & 0x07);
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      unsigned char cb = static_cast<unsigned char>(s[i + k]);
      ok = (cb >> 6) == 2;
      c = (c << 6) | (cb & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if (ok && ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
               (len == 4 && c < 0x10000) || c > 0x10FFFF ||
               (c >= 0xD800 && c <= 0xDFFF))) {
      ok = false;
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(c);
    i += len;
  }
  return out;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  for (char32_t c : text) AppendUtf8(c, &out);
  return out;
}

bool IsClipWhitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || (c >= 0x1C && c <= 0x1F) ||
         c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

bool IsClipLetter(char32_t c) { return InRanges(kLetters, c); }
bool IsClipNumber(char32_t c) { return InRanges(kNumbers, c); }

char32_t ClipLower(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c < 0xC0) return c;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
  if (c >= 0x100 && c <= 0x137) return c | 1;
  if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
  if (c >= 0x14A && c <= 0x177) return c | 1;
  if (c == 0x178) return 0xFF;
  if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c + 1 : c;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x460 && c <= 0x481) return c | 1;
  if (c >= 0x48A && c <= 0x4BF) return c | 1;
  if (c >= 0x4D0 && c <= 0x52F) return c | 1;
  if (c >= 0x531 && c <= 0x556) return c + 48;
  if (c >= 0x1E00 && c <= 0x1E95) return c | 1;
  if (c >= 0x1EA0 && c <= 0x1EFF) return c | 1;
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
  return c;
}

std::string NormalizeClipText(std::string_view text) {
  std::u32string in = DecodeUtf8(text);
  std::u32string out;
  bool pending_space = false;
  for (char32_t c : in) {
    if (IsClipWhitespace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(U' ');
    pending_space = false;
    out.push_back(ClipLower(c));
  }
  return EncodeUtf8(out);
}

std::vector<std::string> PreTokenizeClip(std::string_view normalized) {
  std::u32string s = DecodeUtf8(normalized);
  std::vector<std::string> out;
  size_t i = 0;
  auto literal_at = [&](const char* lit) {
    std::u32string l = DecodeUtf8(lit);
    return s.compare(i, l.size(), l) == 0 ? l.size() : 0;
  };
  while (i < s.size()) {
    char32_t c = s[i];
    if (IsClipWhitespace(c)) {
      ++i;
      continue;
    }
    size_t len = 0;
    for (const char* lit : kSpecialsAndContractions) {
      if ((len = literal_at(lit)) > 0) break;
    }
    if (len == 0 && IsClipLetter(c)) {
      while (i + len < s.size() && IsClipLetter(s[i + len])) ++len;
    } else if (len == 0 && IsClipNumber(c)) {
      len = 1;
    } else if (len == 0) {
      while (i + len < s.size() && !IsClipWhitespace(s[i + len]) &&
             !IsClipLetter(s[i + len]) && !IsClipNumber(s[i + len])) {
        ++len;
      }
    }
    out.push_back(EncodeUtf8(s.substr(i, len)));
    i += len;
  }
  return out;
}

}  // namespace ebb::inference::diffusion
