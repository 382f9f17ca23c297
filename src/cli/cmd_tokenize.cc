// SPDX-License-Identifier: Apache-2.0
// `ebb tokenize`: CLIP token ids of a text, in `ebb` (the tokenizer needs no
// libtorch).
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/model_cli.h"
#include "inference/diffusion/tokenizer/clip_tokenizer.h"

namespace ebb::cli {

int RunTokenize(const TokenizeOptions& o) {
  using inference::diffusion::ClipTokenizer;
  auto tok = ClipTokenizer::FromDiffusersFolder(o.model);
  if (!tok.ok()) {
    std::cerr << "ebb tokenize: model " << o.model << ": "
              << tok.status().message() << "\n";
    return kExitFailure;
  }
  const inference::diffusion::TokenizedPrompt t = (*tok)->Tokenize(o.text);
  const std::vector<int32_t> content = (*tok)->Encode(o.text);
  const int kept = t.length - 2;
  if (o.output == "json") {
    nlohmann::json tokens = nlohmann::json::array();
    for (int32_t id : content) tokens.push_back((*tok)->TokenText(id));
    std::cout
        << nlohmann::json{{"ids", t.ids},
                          {"length", t.length},
                          {"content_tokens", t.content_tokens},
                          {"kept_tokens", kept},
                          {"truncated", t.truncated},
                          {"max_length", inference::diffusion::kClipMaxLength},
                          {"pad_id", (*tok)->pad_id()},
                          {"tokens", tokens},
                          {"kept_text",
                           (*tok)->Decode(std::vector<int32_t>(
                               t.ids.begin() + 1, t.ids.begin() + 1 + kept))}}
               .dump()
        << "\n";
    return kExitOk;
  }
  std::cout << t.content_tokens << " content token(s) of "
            << inference::diffusion::kClipMaxLength - 2 << " allowed"
            << (t.truncated
                    ? ": TRUNCATED, the model sees only: \"" +
                          (*tok)->Decode(std::vector<int32_t>(
                              t.ids.begin() + 1, t.ids.begin() + 1 + kept)) +
                          "\""
                    : std::string())
            << "\n";
  std::vector<std::string> pieces;
  for (int32_t id : content) {
    pieces.push_back(absl::StrCat(id, " ", (*tok)->TokenText(id)));
  }
  std::cout << "tokens: " << absl::StrJoin(pieces, ", ") << "\n";
  std::cout << "ids (" << t.ids.size() << ", pad " << (*tok)->pad_id()
            << "): " << absl::StrJoin(t.ids, " ") << "\n";
  return kExitOk;
}

}  // namespace ebb::cli
