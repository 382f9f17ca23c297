// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/format/safetensors.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/diffusion/format/safetensors_writer.h"
#include "inference/diffusion/format/weight_format.h"

namespace ebb::inference::diffusion {
namespace {

using ::testing::HasSubstr;

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ebb_st_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  // 8-byte length + header + buffer, exactly as given (no validation).
  static std::string Raw(const std::string& header, const std::string& buffer,
                         uint64_t claimed_len = UINT64_MAX) {
    uint64_t n = claimed_len == UINT64_MAX ? header.size() : claimed_len;
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i)
      out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return out + header + buffer;
  }
  std::string OpenError(const std::string& bytes) {
    auto f = SafetensorsFile::Open(Write("x.safetensors", bytes));
    EXPECT_FALSE(f.ok());
    return f.ok() ? "" : std::string(f.status().message());
  }

  std::filesystem::path dir_;
};

TEST_F(SafetensorsTest, EveryDtypeRoundTripsWithMetadata) {
  std::vector<TensorToWrite> ts;
  const DType all[] = {DType::kF64,  DType::kF32,    DType::kF16,
                       DType::kBF16, DType::kI64,    DType::kI32,
                       DType::kI16,  DType::kI8,     DType::kU8,
                       DType::kBool, DType::kF8E4M3, DType::kF8E5M2};
  int i = 0;
  for (DType d : all) {
    TensorToWrite t;
    t.name = "t." + std::string(DTypeName(d));
    t.dtype = d;
    t.shape = {2, 3};
    t.bytes.resize(6 * DTypeSize(d));
    for (auto& c : t.bytes) c = static_cast<char>(i++);
    ts.push_back(t);
  }
  ts.push_back({"scalar", DType::kF32, {}, std::string(4, 'a')});
  ts.push_back({"empty", DType::kF32, {0, 5}, ""});
  std::string path = (dir_ / "all.safetensors").string();
  ASSERT_TRUE(WriteSafetensors(path, ts, {{"format", "pt"}}).ok());

  auto f = SafetensorsFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->metadata().at("format"), "pt");
  EXPECT_EQ((*f)->tensors().size(), ts.size());
  EXPECT_EQ((*f)->Find("__metadata__"), nullptr);
  for (const auto& t : ts) {
    const TensorInfo* info = (*f)->Find(t.name);
    ASSERT_NE(info, nullptr) << t.name;
    EXPECT_EQ(info->dtype, t.dtype);
    EXPECT_EQ(info->shape, t.shape);
    auto data = (*f)->Data(*info);
    EXPECT_EQ(
        std::string(reinterpret_cast<const char*>(data.data()), data.size()),
        t.bytes)
        << t.name;
  }
  EXPECT_EQ((*f)->Find("scalar")->numel(), 1);
  EXPECT_EQ((*f)->Find("empty")->numel(), 0);
}

TEST_F(SafetensorsTest, WriterAlignsTheBufferToEightBytes) {
  auto bytes = SerializeSafetensors({{"w", DType::kF32, {1}, "abcd"}});
  ASSERT_TRUE(bytes.ok());
  uint64_t n = 0;
  std::memcpy(&n, bytes->data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u);
}

TEST_F(SafetensorsTest, TruncatedFileIsRejected) {
  auto bytes =
      SerializeSafetensors({{"w", DType::kF32, {4, 4}, std::string(64, 'x')}});
  ASSERT_TRUE(bytes.ok());
  std::string cut = bytes->substr(0, bytes->size() - 10);
  EXPECT_THAT(OpenError(cut), HasSubstr("outside the data buffer"));
  EXPECT_THAT(OpenError(bytes->substr(0, 20)), HasSubstr("file truncated"));
  EXPECT_THAT(OpenError(bytes->substr(0, 5)), HasSubstr("not a safetensors"));
}

TEST_F(SafetensorsTest, OverlappingOffsetsAreRejected) {
  std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  std::string msg = OpenError(Raw(h, std::string(12, '\0')));
  EXPECT_THAT(msg, HasSubstr("overlap"));
  EXPECT_THAT(msg, HasSubstr("'a'"));
  EXPECT_THAT(msg, HasSubstr("'b'"));
}

TEST_F(SafetensorsTest, OutOfRangeOffsetsAreRejected) {
  std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
  EXPECT_THAT(OpenError(Raw(h, std::string(8, '\0'))),
              HasSubstr("outside the data buffer"));
  std::string rev = R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})";
  EXPECT_THAT(OpenError(Raw(rev, std::string(8, '\0'))),
              HasSubstr("outside the data buffer"));
}

TEST_F(SafetensorsTest, HeaderClaimingHundredGigabytesIsRejectedCheaply) {
  std::string h = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  std::string msg = OpenError(Raw(h, "abcd", 100ull << 30));
  EXPECT_THAT(msg, HasSubstr("over the limit"));
  // Under the cap but over the file: also rejected, before any allocation.
  auto f = SafetensorsFile::Open(Write("y.safetensors", Raw(h, "abcd", 5000)),
                                 {.max_header_bytes = 1ull << 40});
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.status().message(), HasSubstr("file truncated"));
}

TEST_F(SafetensorsTest, WrongDtypeSizeIsRejected) {
  std::string h =
      R"({"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}})";
  std::string msg = OpenError(Raw(h, std::string(16, '\0')));
  EXPECT_THAT(msg, HasSubstr("'w'"));
  EXPECT_THAT(msg, HasSubstr("[2, 2] of F16 needs 4 x 2 bytes"));
}

TEST_F(SafetensorsTest, MalformedEntriesAreRejectedWithTheirName) {
  auto err = [&](const std::string& entry) {
    return OpenError(Raw("{\"w\":" + entry + "}", std::string(8, '\0')));
  };
  EXPECT_THAT(err(R"({"dtype":"F33","shape":[2],"data_offsets":[0,8]})"),
              HasSubstr("unknown dtype \"F33\""));
  EXPECT_THAT(err(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"),
              HasSubstr("non-negative"));
  EXPECT_THAT(err(R"({"dtype":"F32","shape":[2]})"), HasSubstr("data_offsets"));
  EXPECT_THAT(err(R"({"shape":[2],"data_offsets":[0,8]})"), HasSubstr("dtype"));
  EXPECT_THAT(
      err(R"({"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]})"),
      HasSubstr("overflows"));
  EXPECT_THAT(OpenError(Raw("[1,2]", "")), HasSubstr("not a safetensors file"));
  EXPECT_THAT(OpenError(Raw("{\"a\": tru", "")), HasSubstr("not valid JSON"));
  EXPECT_THAT(OpenError(Raw(R"({"__metadata__":{"a":1}})", "")),
              HasSubstr("not a string"));
}

TEST_F(SafetensorsTest, MissingFileIsNotFound) {
  auto f = SafetensorsFile::Open((dir_ / "nope.safetensors").string());
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SafetensorsTest, PickleCheckpointsAreRefusedWithHowToConvert) {
  std::string zip = Write("model.ckpt", std::string("PK\x03\x04rest", 8));
  auto f = SafetensorsFile::Open(zip);
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.status().message(), HasSubstr("pickle"));
  EXPECT_THAT(f.status().message(), HasSubstr("runs code"));
  EXPECT_THAT(f.status().message(), HasSubstr("save_file"));
  std::string legacy = Write("model.bin", std::string("\x80\x02}q\x00", 5));
  EXPECT_EQ(*DetectWeightFormat(legacy), WeightFormat::kPickle);
  EXPECT_EQ(*DetectWeightFormat(Write("model.pt", "garbage")),
            WeightFormat::kPickle);
  std::string gguf = Write("model.gguf", "GGUF\x03\0\0\0");
  EXPECT_THAT(CheckWeightFileFormat(gguf).message(), HasSubstr("GGUF"));
  EXPECT_THAT(CheckWeightFileFormat(Write("x.txt", "hello world")).message(),
              HasSubstr("not a safetensors file"));
  EXPECT_EQ(DetectWeightFormat(dir_.string()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HalfFloatTest, ConversionsMatchKnownBitPatterns) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);
  EXPECT_EQ(FloatToHalf(5.9604645e-8f), 0x0001);  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(HalfToFloat(0x0001), 5.9604645e-8f);
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3f80);
  EXPECT_EQ(BFloat16ToFloat(0x4049), 3.140625f);
  for (float v : {0.1f, -3.7f, 1234.5f, 6.1e-5f}) {
    EXPECT_NEAR(HalfToFloat(FloatToHalf(v)), v, std::abs(v) * 1e-3f);
    EXPECT_NEAR(BFloat16ToFloat(FloatToBFloat16(v)), v, std::abs(v) * 8e-3f);
  }
}

}  // namespace
}  // namespace ebb::inference::diffusion
