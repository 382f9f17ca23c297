// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/tokenizer/unicode_text.h
//
// The text side of CLIP's tokenizer (huggingface/transformers:
// src/transformers/models/clip/tokenization_clip.py), without ICU:
//
//   NormalizeClipText: whitespace runs (Python's Unicode \s) become one space,
//     the ends are stripped, and letters are lower-cased. Lower-casing covers
//     ASCII, Latin-1, Latin Extended-A/B, Greek, Cyrillic, Armenian and
//     full-width Latin (the scripts with case that prompts use); other
//     characters are unchanged. ftfy's mojibake repair and HTML unescaping are
//     not done.
//   PreTokenizeClip: splits normalized text as CLIP's pattern
//       <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|
//       [^\s\p{L}\p{N}]+
//     does (alternatives tried in that order at each position, whitespace
//     dropped). \p{L} and \p{N} are approximated by tables of the letter and
//     number ranges of the Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic,
//     Indic, Thai, Hangul, kana and CJK blocks. Combining marks are not
//     letters (as in the regex package), and no NFC composition is done.
//
// Invalid UTF-8 bytes decode as U+FFFD. Thread-safety: stateless.
#ifndef EBB_INFERENCE_DIFFUSION_TOKENIZER_UNICODE_TEXT_H_
#define EBB_INFERENCE_DIFFUSION_TOKENIZER_UNICODE_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace ebb::inference::diffusion {

std::u32string DecodeUtf8(std::string_view text);
std::string EncodeUtf8(std::u32string_view text);
void AppendUtf8(char32_t c, std::string* out);

bool IsClipWhitespace(char32_t c);
bool IsClipLetter(char32_t c);
bool IsClipNumber(char32_t c);
char32_t ClipLower(char32_t c);

std::string NormalizeClipText(std::string_view text);
std::vector<std::string> PreTokenizeClip(std::string_view normalized);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_TOKENIZER_UNICODE_TEXT_H_
