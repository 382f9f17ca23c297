// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/tokenizer/clip_tokenizer.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/diffusion/tokenizer/unicode_text.h"

namespace ebb::inference::diffusion {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

const ClipTokenizer& Real() {
  static const ClipTokenizer* tok = [] {
    auto t = ClipTokenizer::FromFiles(EBB_CLIP_MERGES, "", kClipEosId);
    EXPECT_TRUE(t.ok()) << t.status();
    return t->release();
  }();
  return *tok;
}

std::vector<int32_t> Framed(const std::string& text) {
  TokenizedPrompt p = Real().Tokenize(text);
  return std::vector<int32_t>(p.ids.begin(), p.ids.begin() + p.length);
}

TEST(ClipTokenizerTest, RebuiltVocabularyHasTheReferenceSize) {
  EXPECT_EQ(Real().vocab_size(), 49408u);
  EXPECT_EQ(Real().TokenId("!"), 0);
  EXPECT_EQ(Real().TokenId("!</w>"), 256);
  EXPECT_EQ(Real().TokenId("<|startoftext|>"), 49406);
  EXPECT_EQ(Real().TokenId("<|endoftext|>"), 49407);
}

TEST(ClipTokenizerTest, BuiltInMergesMatchTheFileWithTheGivenPad) {
  auto sd2 = ClipTokenizer::BuiltIn(0);
  ASSERT_TRUE(sd2.ok()) << sd2.status();
  EXPECT_EQ((*sd2)->vocab_size(), 49408u);
  TokenizedPrompt p = (*sd2)->Tokenize("a photo of a cat");
  EXPECT_EQ(p.ids, Real().Tokenize("a photo of a cat", kClipMaxLength, 0).ids);
  EXPECT_EQ(p.ids[7], 0);
  EXPECT_EQ((*ClipTokenizer::BuiltIn(kClipEosId))->Tokenize("cat").ids[3],
            kClipEosId);
}

TEST(ClipTokenizerTest, KnownIdSequences) {
  EXPECT_THAT(Framed("a photo of a cat"),
              ElementsAre(49406, 320, 1125, 539, 320, 2368, 49407));
  EXPECT_THAT(Framed("a photo of a dog"),
              ElementsAre(49406, 320, 1125, 539, 320, 1929, 49407));
  EXPECT_THAT(Framed("Hello, world!"),
              ElementsAre(49406, 3306, 267, 1002, 256, 49407));
  EXPECT_THAT(Framed("don't stop 42 times"),
              ElementsAre(49406, 847, 713, 1691, 275, 273, 1661, 49407));
  EXPECT_THAT(Framed("a dog in the snow"),
              ElementsAre(49406, 320, 1929, 530, 518, 2583, 49407));
  EXPECT_THAT(Real().Encode("cat"), ElementsAre(2368));
  EXPECT_THAT(Real().Encode("car"), ElementsAre(1615));
  EXPECT_THAT(Real().Encode("beach"), ElementsAre(2117));
  EXPECT_THAT(Real().Encode("sunset"), ElementsAre(3424));
}

TEST(ClipTokenizerTest, CaseAndWhitespaceAreNormalized) {
  EXPECT_THAT(Framed("A PHOTO of  a Cat!"),
              ElementsAre(49406, 320, 1125, 539, 320, 2368, 256, 49407));
  EXPECT_EQ(Real().Encode("  A\tPhoto\n OF a CAT  "),
            Real().Encode("a photo of a cat"));
  EXPECT_EQ(Real().Encode("CAFÉ ÉCOLE ΑΘΉΝΑ МОСКВА"),
            Real().Encode("café école αθήνα москва"));
}

TEST(ClipTokenizerTest, PunctuationDigitsAndContractionsSplitAsThePattern) {
  EXPECT_THAT(PreTokenizeClip("don't stop, 42 times!!"),
              ElementsAre("don", "'t", "stop", ",", "4", "2", "times", "!!"));
  EXPECT_THAT(PreTokenizeClip("it's we're i'll x'q"),
              ElementsAre("it", "'s", "we", "'re", "i", "'ll", "x", "'", "q"));
  EXPECT_THAT(PreTokenizeClip("a<|endoftext|>b"),
              ElementsAre("a", "<|endoftext|>", "b"));
  // Digits are single tokens: "2024" is four.
  EXPECT_EQ(Real().Encode("2024").size(), 4u);
  EXPECT_EQ(Real().Encode("2024"), Real().Encode("2 0 2 4"));
  // Pre-tokenization splits at punctuation, so ids concatenate.
  std::vector<int32_t> joined = Real().Encode("cat");
  for (int32_t id : Real().Encode(",")) joined.push_back(id);
  for (int32_t id : Real().Encode("dog")) joined.push_back(id);
  EXPECT_EQ(Real().Encode("cat,dog"), joined);
  // A special token written in the prompt is that token, as in the reference.
  EXPECT_THAT(Real().Encode("<|endoftext|>"), ElementsAre(49407));
}

TEST(ClipTokenizerTest, NonAsciiRoundTripsThroughBytes) {
  for (std::string text :
       {"café naïve", "東京 タワー", "🐱 cat", "привет мир", "ünïcödé ß"}) {
    std::vector<int32_t> ids = Real().Encode(text);
    EXPECT_FALSE(ids.empty()) << text;
    for (int32_t id : ids) EXPECT_LT(id, 49406) << text;
    EXPECT_EQ(Real().Decode(ids), text);
  }
  // Invalid UTF-8 becomes U+FFFD (a symbol of its own), never a crash.
  EXPECT_EQ(Real().Decode(Real().Encode("a\xff"
                                        "b")),
            "a \xEF\xBF\xBD"
            " b");
}

TEST(ClipTokenizerTest, TruncatesAt77KeepingEosAndFlagsIt) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "cat ";
  TokenizedPrompt p = Real().Tokenize(text);
  ASSERT_EQ(p.ids.size(), 77u);
  EXPECT_TRUE(p.truncated);
  EXPECT_EQ(p.content_tokens, 100);
  EXPECT_EQ(p.length, 77);
  EXPECT_EQ(p.ids[0], kClipBosId);
  EXPECT_EQ(p.ids[1], 2368);
  EXPECT_EQ(p.ids[75], 2368);
  EXPECT_EQ(p.ids[76], kClipEosId);

  std::string exact;
  for (int i = 0; i < 75; ++i) exact += "cat ";
  TokenizedPrompt q = Real().Tokenize(exact);
  EXPECT_FALSE(q.truncated);
  EXPECT_EQ(q.length, 77);
}

TEST(ClipTokenizerTest, BothPadConventions) {
  TokenizedPrompt sd1 = Real().Tokenize("a cat", 77, kClipEosId);
  TokenizedPrompt sd2 = Real().Tokenize("a cat", 77, 0);
  ASSERT_EQ(sd1.ids.size(), 77u);
  ASSERT_EQ(sd2.ids.size(), 77u);
  EXPECT_EQ(sd1.length, 4);
  EXPECT_THAT(std::vector<int32_t>(sd1.ids.begin(), sd1.ids.begin() + 4),
              ElementsAre(49406, 320, 2368, 49407));
  for (int i = 4; i < 77; ++i) {
    EXPECT_EQ(sd1.ids[i], 49407);
    EXPECT_EQ(sd2.ids[i], 0);
  }
  EXPECT_EQ(sd2.ids[3], 49407);  // the EOS itself is never the pad
  EXPECT_FALSE(sd1.truncated);
}

class ClipTokenizerFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ebb_tok_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "tokenizer");
    std::filesystem::copy_file(EBB_CLIP_MERGES, dir_ / "tokenizer/merges.txt");
    // vocab.json as the hub ships it: every entry of the vocabulary.
    nlohmann::json vocab = nlohmann::json::object();
    for (int32_t i = 0; i < 49408; ++i) vocab[Real().TokenText(i)] = i;
    std::ofstream(dir_ / "tokenizer/vocab.json") << vocab.dump();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void WriteMap(const std::string& json) {
    std::ofstream(dir_ / "tokenizer/special_tokens_map.json") << json;
  }
  std::filesystem::path dir_;
};

TEST_F(ClipTokenizerFolderTest, ReadsPadTokenFromSpecialTokensMap) {
  WriteMap(R"({"pad_token": "!", "eos_token": "<|endoftext|>"})");
  auto sd2 = ClipTokenizer::FromDiffusersFolder(dir_.string());
  ASSERT_TRUE(sd2.ok()) << sd2.status();
  EXPECT_EQ((*sd2)->pad_id(), 0);
  EXPECT_THAT((*sd2)->Encode("a photo of a cat"),
              ElementsAreArray(Real().Encode("a photo of a cat")));

  WriteMap(R"({"pad_token": {"content": "<|endoftext|>", "lstrip": false}})");
  auto sd1 = ClipTokenizer::FromDiffusersFolder(dir_.string());
  ASSERT_TRUE(sd1.ok()) << sd1.status();
  EXPECT_EQ((*sd1)->pad_id(), 49407);
  EXPECT_EQ((*sd1)->Tokenize("x").ids[76], 49407);

  WriteMap(R"({"pad_token": "<|nope|>"})");
  auto bad = ClipTokenizer::FromDiffusersFolder(dir_.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("<|nope|>"));
}

TEST_F(ClipTokenizerFolderTest, MissingAndMalformedFilesGiveClearErrors) {
  auto missing = ClipTokenizer::FromDiffusersFolder((dir_ / "none").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("merges.txt"));

  std::ofstream(dir_ / "bad_merges.txt")
      << "#version: 0.2\ni n\nthree part s\n";
  auto bad = ClipTokenizer::FromFiles((dir_ / "bad_merges.txt").string(), "",
                                      kClipEosId);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("bad_merges.txt:3"));

  std::ofstream(dir_ / "bad_vocab.json") << "{\"a\": \"x\"}";
  auto bad_vocab = ClipTokenizer::FromFiles(
      EBB_CLIP_MERGES, (dir_ / "bad_vocab.json").string(), kClipEosId);
  ASSERT_FALSE(bad_vocab.ok());
  EXPECT_THAT(bad_vocab.status().message(), HasSubstr("\"a\""));
}

}  // namespace
}  // namespace ebb::inference::diffusion
