// SPDX-License-Identifier: Apache-2.0
// EncodePng through libpng's write API (for the zlib level), DecodePng
// through its simplified (png_image) API, which reports errors in the struct
// instead of longjmp-ing.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "absl/strings/str_cat.h"
#include "inference/text_to_image.h"

namespace ebb::inference {

namespace {

// libpng's write callbacks. Errors longjmp back to WriteRgb's setjmp; no
// C++ object is constructed between it and libpng's calls, and no exception
// crosses libpng's C frames.
void AppendToString(png_structp png, png_bytep data, png_size_t n) {
  bool ok = true;
  try {
    static_cast<std::string*>(png_get_io_ptr(png))
        ->append(reinterpret_cast<const char*>(data), n);
  } catch (const std::bad_alloc&) {
    ok = false;
  }
  if (!ok) png_error(png, "out of memory for the encoded image");
}
void NoFlush(png_structp) {}
// libpng's last warning names the cause (e.g. "Image width exceeds user
// limit in IHDR") that its error then reports as "Invalid IHDR data".
struct PngMessages {
  char error[256] = "";
  char warning[256] = "";
};
void RecordError(png_structp png, png_const_charp message) {
  auto* m = static_cast<PngMessages*>(png_get_error_ptr(png));
  std::snprintf(m->error, sizeof(m->error), "%s", message);
  png_longjmp(png, 1);
}
void RecordWarning(png_structp png, png_const_charp message) {
  auto* m = static_cast<PngMessages*>(png_get_error_ptr(png));
  std::snprintf(m->warning, sizeof(m->warning), "%s", message);
}

// Encodes 8-bit RGB rows into *out; false with `m->error` set on failure.
bool WriteRgb(const Image& image, std::string* out, PngMessages* m) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, m,
                                            RecordError, RecordWarning);
  if (png == nullptr) {
    std::snprintf(m->error, sizeof(m->error), "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, AppendToString, NoFlush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  // zlib level 1 with libpng's adaptive row filters: on a 512x512 generated
  // image 20 ms and 440 KB, against 113 ms and 376 KB at zlib's default 6
  // (BENCHMARKS.md section 7). PNG time counts against a request's 2 % outside
  // the networks.
  png_set_compression_level(png, 1);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_ALL_FILTERS);
  png_write_info(png, info);
  const size_t stride = static_cast<size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y) {
    png_write_row(png, const_cast<png_bytep>(image.pixels.data() + y * stride));
  }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

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
  std::string out;
  out.reserve(expected / 2);
  PngMessages m;
  if (!WriteRgb(image, &out, &m)) {
    return absl::InternalError(absl::StrCat(
        "png encode: ", m.error,
        m.warning[0] != '\0' ? absl::StrCat(" (", m.warning, ")") : ""));
  }
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
