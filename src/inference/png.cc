// SPDX-License-Identifier: Apache-2.0
// EncodePng / DecodePng through libpng's simplified (png_image) API, which
// reports errors in the struct instead of longjmp-ing through our frames.
#include <png.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "inference/text_to_image.h"

namespace ebb::inference {

absl::StatusOr<std::string> EncodePng(const Image& image) {
  if (image.width <= 0 || image.height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot encode a ", image.width, "x", image.height, " image"));
  }
  const size_t expected =
      static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3;
  if (image.pixels.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("image ", image.width, "x", image.height, " has ",
                     image.pixels.size(), " bytes of pixels, want ", expected));
  }
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, /*convert_to_8bit=*/0,
                                 image.pixels.data(), /*row_stride=*/0,
                                 nullptr)) {
    std::string msg = png.message;
    png_image_free(&png);
    return absl::InternalError(absl::StrCat("png encode (size): ", msg));
  }
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&png, out.data(), &size, 0,
                                 image.pixels.data(), 0, nullptr)) {
    std::string msg = png.message;
    png_image_free(&png);
    return absl::InternalError(absl::StrCat("png encode: ", msg));
  }
  out.resize(size);
  return out;
}

absl::StatusOr<Image> DecodePng(const std::string& bytes) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    std::string msg = png.message;
    png_image_free(&png);
    return absl::InvalidArgumentError(absl::StrCat("not a PNG: ", msg));
  }
  png.format = PNG_FORMAT_RGB;
  Image image;
  image.width = static_cast<int>(png.width);
  image.height = static_cast<int>(png.height);
  image.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, /*background=*/nullptr, image.pixels.data(),
                             /*row_stride=*/0, /*colormap=*/nullptr)) {
    std::string msg = png.message;
    png_image_free(&png);
    return absl::InvalidArgumentError(absl::StrCat("corrupt PNG: ", msg));
  }
  return image;
}

}  // namespace ebb::inference
