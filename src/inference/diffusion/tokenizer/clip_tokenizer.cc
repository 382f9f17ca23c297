// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/tokenizer/clip_tokenizer.h"

#include <climits>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status.h"
#include "inference/diffusion/tokenizer/embedded_merges.h"
#include "inference/diffusion/tokenizer/unicode_text.h"

namespace ebb::inference::diffusion {
namespace {

constexpr int kMaxMerges = 49152 - 256 - 2;  // 48,894, as the reference
constexpr const char* kBos = "<|startoftext|>";
constexpr const char* kEos = "<|endoftext|>";

// bytes_to_unicode(): code point for each byte, in the table's order.
std::vector<std::pair<uint8_t, char32_t>> ByteTable() {
  std::vector<std::pair<uint8_t, char32_t>> table;
  std::vector<bool> printable(256, false);
  for (int b = '!'; b <= '~'; ++b) printable[b] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
  for (int b = 0; b < 256; ++b) {
    if (printable[b]) table.emplace_back(b, static_cast<char32_t>(b));
  }
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    if (!printable[b]) table.emplace_back(b, static_cast<char32_t>(256 + n++));
  }
  return table;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClipTokenizer>> ClipTokenizer::FromFiles(
    const std::string& merges_path, const std::string& vocab_json_path,
    int32_t pad_id) {
  EBB_ASSIGN_OR_RETURN(std::string merges, ReadFile(merges_path));
  return FromMergesText(merges, merges_path, vocab_json_path, pad_id);
}

absl::StatusOr<std::unique_ptr<ClipTokenizer>> ClipTokenizer::BuiltIn(
    int32_t pad_id) {
  return FromMergesText(EmbeddedClipMerges(), "built-in CLIP merges", "",
                        pad_id);
}

absl::StatusOr<std::unique_ptr<ClipTokenizer>> ClipTokenizer::FromMergesText(
    std::string_view merges_text, const std::string& merges_path,
    const std::string& vocab_json_path, int32_t pad_id) {
  auto tok = std::unique_ptr<ClipTokenizer>(new ClipTokenizer());
  auto table = ByteTable();
  for (const auto& [b, c] : table) {
    std::string s;
    AppendUtf8(c, &s);
    tok->byte_to_symbol_[b] = s;
    tok->symbol_to_byte_[c] = b;
  }

  std::istringstream lines{std::string(merges_text)};
  std::string line;
  std::vector<std::string> merged;
  int line_no = 0;
  while (std::getline(lines, line) &&
         static_cast<int>(merged.size()) < kMaxMerges) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("#version", 0) == 0) continue;
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == line.size() ||
        line.find(' ', sp + 1) != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          merges_path, ":", line_no, ": expected \"LEFT RIGHT\", got \"",
          line.substr(0, 60), "\""));
    }
    tok->merge_ranks_.emplace(line, static_cast<int>(merged.size()));
    merged.push_back(line.substr(0, sp) + line.substr(sp + 1));
  }
  if (merged.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(merges_path, ": no merges found"));
  }

  if (vocab_json_path.empty()) {
    for (const auto& [b, c] : table)
      tok->id_to_token_.push_back(tok->byte_to_symbol_[b]);
    for (const auto& [b, c] : table) {
      tok->id_to_token_.push_back(tok->byte_to_symbol_[b] + "</w>");
    }
    for (auto& m : merged) tok->id_to_token_.push_back(std::move(m));
    tok->id_to_token_.push_back(kBos);
    tok->id_to_token_.push_back(kEos);
    for (size_t i = 0; i < tok->id_to_token_.size(); ++i) {
      tok->vocab_.emplace(tok->id_to_token_[i], static_cast<int32_t>(i));
    }
  } else {
    EBB_ASSIGN_OR_RETURN(std::string text, ReadFile(vocab_json_path));
    nlohmann::json vocab;
    try {
      vocab = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(vocab_json_path, ": not valid JSON: ", e.what()));
    }
    if (!vocab.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(vocab_json_path, ": expected an object of token -> id"));
    }
    for (const auto& [token, id] : vocab.items()) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
          id.get<int64_t>() > INT32_MAX / 2) {
        return absl::InvalidArgumentError(absl::StrCat(
            vocab_json_path, ": id of \"", token, "\" is not a valid id"));
      }
      auto i = static_cast<size_t>(id.get<int64_t>());
      if (tok->id_to_token_.size() <= i) tok->id_to_token_.resize(i + 1);
      tok->id_to_token_[i] = token;
      tok->vocab_[token] = static_cast<int32_t>(i);
    }
  }
  tok->pad_id_ = pad_id;
  return tok;
}

absl::StatusOr<std::unique_ptr<ClipTokenizer>>
ClipTokenizer::FromDiffusersFolder(const std::string& dir) {
  namespace fs = std::filesystem;
  fs::path base = fs::path(dir) / "tokenizer";
  if (!fs::exists(base / "merges.txt")) base = dir;
  if (!fs::exists(base / "merges.txt")) {
    return absl::NotFoundError(absl::StrCat(
        "no tokenizer/merges.txt under ", dir,
        " (a diffusers folder has tokenizer/vocab.json and merges.txt)"));
  }
  std::string vocab = (base / "vocab.json").string();
  if (!fs::exists(vocab)) vocab.clear();
  EBB_ASSIGN_OR_RETURN(
      auto tok, FromFiles((base / "merges.txt").string(), vocab, kClipEosId));
  auto map_text = ReadFile((base / "special_tokens_map.json").string());
  if (map_text.ok()) {
    try {
      auto map = nlohmann::json::parse(*map_text);
      auto pad = map.find("pad_token");
      if (pad != map.end()) {
        std::string name = pad->is_string() ? pad->get<std::string>()
                           : pad->is_object() && pad->contains("content")
                               ? (*pad)["content"].get<std::string>()
                               : "";
        int32_t id = tok->TokenId(name);
        if (id < 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              (base / "special_tokens_map.json").string(), ": pad_token \"",
              name, "\" is not in the vocabulary"));
        }
        tok->pad_id_ = id;
      }
    } catch (const nlohmann::json::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat((base / "special_tokens_map.json").string(),
                       ": not valid JSON: ", e.what()));
    }
  }
  return tok;
}

int32_t ClipTokenizer::TokenId(const std::string& token) const {
  auto it = vocab_.find(token);
  return it == vocab_.end() ? -1 : it->second;
}

std::string ClipTokenizer::TokenText(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) return "";
  return id_to_token_[id];
}

void ClipTokenizer::Bpe(const std::string& piece,
                        std::vector<int32_t>* out) const {
  if (piece == kBos || piece == kEos) {
    out->push_back(piece == kBos ? kClipBosId : kClipEosId);
    return;
  }
  std::vector<std::string> word;
  for (unsigned char b : piece) word.push_back(byte_to_symbol_[b]);
  if (word.empty()) return;
  word.back() += "</w>";
  while (word.size() > 1) {
    int best = INT_MAX;
    size_t best_i = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = merge_ranks_.find(word[i] + " " + word[i + 1]);
      if (it != merge_ranks_.end() && it->second < best) {
        best = it->second;
        best_i = i;
      }
    }
    if (best == INT_MAX) break;
    const std::string first = word[best_i], second = word[best_i + 1];
    std::vector<std::string> next;
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        next.push_back(first + second);
        i += 2;
      } else {
        next.push_back(word[i++]);
      }
    }
    word = std::move(next);
  }
  for (const auto& sym : word) {
    int32_t id = TokenId(sym);
    out->push_back(id < 0 ? kClipEosId : id);  // unknown -> unk (<|endoftext|>)
  }
}

std::vector<int32_t> ClipTokenizer::Encode(std::string_view text) const {
  std::vector<int32_t> ids;
  for (const auto& piece : PreTokenizeClip(NormalizeClipText(text))) {
    Bpe(piece, &ids);
  }
  return ids;
}

TokenizedPrompt ClipTokenizer::Tokenize(std::string_view text,
                                        int max_length) const {
  return Tokenize(text, max_length, pad_id_);
}

TokenizedPrompt ClipTokenizer::Tokenize(std::string_view text, int max_length,
                                        int32_t pad_id) const {
  if (max_length < 2) max_length = 2;
  std::vector<int32_t> content = Encode(text);
  TokenizedPrompt out;
  out.content_tokens = static_cast<int>(content.size());
  size_t keep = std::min(content.size(), static_cast<size_t>(max_length - 2));
  out.truncated = keep < content.size();
  out.ids.reserve(max_length);
  out.ids.push_back(kClipBosId);
  out.ids.insert(out.ids.end(), content.begin(), content.begin() + keep);
  out.ids.push_back(kClipEosId);
  out.length = static_cast<int>(out.ids.size());
  out.ids.resize(max_length, pad_id);
  return out;
}

std::string ClipTokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string symbols;
  for (int32_t id : ids) {
    if (id == kClipBosId || id == kClipEosId) continue;
    if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) continue;
    symbols += id_to_token_[id];
  }
  std::string bytes;
  std::u32string cps = DecodeUtf8(symbols);
  std::u32string end_of_word = U"</w>";
  for (size_t i = 0; i < cps.size(); ++i) {
    if (cps.compare(i, 4, end_of_word) == 0) {
      bytes.push_back(' ');
      i += 3;
      continue;
    }
    auto it = symbol_to_byte_.find(cps[i]);
    if (it != symbol_to_byte_.end())
      bytes.push_back(static_cast<char>(it->second));
  }
  while (!bytes.empty() && bytes.back() == ' ') bytes.pop_back();
  return bytes;
}

}  // namespace ebb::inference::diffusion
