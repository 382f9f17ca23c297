// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/tokenizer/clip_tokenizer.h
//
// CLIP's byte-level BPE tokenizer, as Stable Diffusion 1.x/2.x and sd-turbo use
// it (huggingface/transformers: src/transformers/models/clip/
// tokenization_clip.py; openai/CLIP: clip/simple_tokenizer.py):
//
//   1. normalize: whitespace runs -> one space, strip, lower-case
//      (NormalizeClipText, unicode_text.h);
//   2. pre-tokenize with CLIP's pattern (PreTokenizeClip);
//   3. each piece's UTF-8 bytes map through bytes_to_unicode (the 188
//      printable bytes stand for themselves, the other 68 for U+0100..);
//      the last symbol gets "</w>";
//   4. BPE: repeatedly merge every occurrence of the adjacent pair with the
//      lowest rank in merges.txt (line order after the "#version" header;
//      at most 48,894 merges are used, as the reference does);
//   5. ids from vocab.json, or, without one, from the vocabulary rebuilt from
//      the merges as the reference builds it: 256 byte symbols (ids 0..255),
//      the same with "</w>" (256..511), one id per merge (512..49405),
//      <|startoftext|> 49406, <|endoftext|> 49407.
//
// Framing (Tokenize): BOS, at most max_length - 2 content ids, EOS, then pad
// ids up to max_length (77). Content past that is cut and `truncated` is set.
// The pad id differs by model: SD 1.x pads with <|endoftext|> (49407), SD 2.x
// and sd-turbo with "!" (id 0); FromDiffusersFolder reads it from
// tokenizer/special_tokens_map.json's "pad_token".
//
// Errors: NotFound for a missing merges.txt/vocab.json; InvalidArgument for a
// malformed file (the message names the file and line or entry).
// Thread-safety: immutable after construction; all methods are const and
// safe from any thread (no cache).
#ifndef EBB_INFERENCE_DIFFUSION_TOKENIZER_CLIP_TOKENIZER_H_
#define EBB_INFERENCE_DIFFUSION_TOKENIZER_CLIP_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::inference::diffusion {

inline constexpr int32_t kClipBosId = 49406;
inline constexpr int32_t kClipEosId = 49407;
inline constexpr int kClipMaxLength = 77;

struct TokenizedPrompt {
  std::vector<int32_t> ids;  // exactly max_length: BOS, content, EOS, pads
  int content_tokens = 0;    // content ids before truncation (no BOS/EOS)
  int length = 0;            // BOS + kept content + EOS (<= max_length)
  bool truncated = false;    // content_tokens > max_length - 2
};

class ClipTokenizer {
 public:
  // `vocab_json_path` may be "" to rebuild the vocabulary from the merges.
  // `pad_id` is the default for Tokenize.
  static absl::StatusOr<std::unique_ptr<ClipTokenizer>> FromFiles(
      const std::string& merges_path, const std::string& vocab_json_path,
      int32_t pad_id);
  // The same from merges.txt's content; `source` names it in errors.
  static absl::StatusOr<std::unique_ptr<ClipTokenizer>> FromMergesText(
      std::string_view merges, const std::string& source,
      const std::string& vocab_json_path, int32_t pad_id);
  // CLIP's merges built into this binary (third_party/clip/merges.txt), the
  // vocabulary rebuilt from them: for single-file checkpoints, which carry
  // no tokenizer files.
  static absl::StatusOr<std::unique_ptr<ClipTokenizer>> BuiltIn(int32_t pad_id);
  // DIR/tokenizer/{merges.txt, vocab.json, special_tokens_map.json}; `dir` may
  // also be the tokenizer folder itself. The pad id is that of pad_token
  // (a string or {"content": ...}); <|endoftext|> when the map is absent.
  static absl::StatusOr<std::unique_ptr<ClipTokenizer>> FromDiffusersFolder(
      const std::string& dir);

  // Content ids of `text`, no BOS/EOS, no limit.
  std::vector<int32_t> Encode(std::string_view text) const;
  // Framed and padded to max_length with the tokenizer's pad id.
  TokenizedPrompt Tokenize(std::string_view text,
                           int max_length = kClipMaxLength) const;
  TokenizedPrompt Tokenize(std::string_view text, int max_length,
                           int32_t pad_id) const;
  // Text of `ids` ("</w>" becomes a space; BOS/EOS dropped), for display.
  std::string Decode(const std::vector<int32_t>& ids) const;

  int32_t pad_id() const { return pad_id_; }
  size_t vocab_size() const { return id_to_token_.size(); }
  // -1 when `token` is not in the vocabulary.
  int32_t TokenId(const std::string& token) const;
  // The vocabulary entry of `id` ("" when out of range).
  std::string TokenText(int32_t id) const;

 private:
  ClipTokenizer() = default;
  void Bpe(const std::string& piece, std::vector<int32_t>* out) const;

  std::unordered_map<std::string, int> merge_ranks_;  // "a b" -> rank
  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::string byte_to_symbol_[256];  // UTF-8 of bytes_to_unicode()[b]
  std::unordered_map<char32_t, uint8_t> symbol_to_byte_;
  int32_t pad_id_ = kClipEosId;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_TOKENIZER_CLIP_TOKENIZER_H_
