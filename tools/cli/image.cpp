#include "image.hpp"

// clang-format off
#include <cstdio>  // jpeglib.h needs FILE and size_t first
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <memory>

#include "keras/layers.hpp"

namespace keras_cli {

namespace {

// Refuses images whose pixels alone would take more than 1 GiB.
constexpr std::uint64_t kMaxPixels = 1ULL << 28;

struct Pixels {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<std::uint8_t> data;  // row-major HWC
};

void check_dimensions(const std::filesystem::path& path, std::uint64_t height, std::uint64_t width) {
  if (height == 0 || width == 0 || height * width > kMaxPixels)
    throw keras::ValueError(path.string() + ": image size " + std::to_string(width) + "x" + std::to_string(height) +
                            " is empty or too large (at most " + std::to_string(kMaxPixels) + " pixels)");
}

Pixels decode_png(const std::filesystem::path& path, int channels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&image, path.c_str()) == 0)
    throw keras::FormatError(path.string() + ": not a readable PNG file (" + image.message + ")");
  std::unique_ptr<png_image, void (*)(png_image*)> guard(&image, png_image_free);
  check_dimensions(path, image.height, image.width);
  image.format = channels == 1 ? PNG_FORMAT_GRAY : channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  Pixels out;
  out.height = static_cast<int>(image.height);
  out.width = static_cast<int>(image.width);
  out.channels = channels;
  out.data.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, out.data.data(), 0, nullptr) == 0)
    throw keras::FormatError(path.string() + ": broken PNG data (" + image.message + ")");
  return out;
}

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr info) {
  auto* error = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, error->message);
  std::longjmp(error->jump, 1);
}

// libjpeg reports errors by longjmp: this frame holds only C objects, and the
// pixel buffer belongs to the caller.
bool decode_jpeg_into(FILE* file, int channels, Pixels* out, JpegError* error, jpeg_decompress_struct* info) {
  info->err = jpeg_std_error(&error->manager);
  error->manager.error_exit = jpeg_error_exit;
  error->manager.output_message = [](j_common_ptr) {};  // warnings are not printed on stderr
  if (setjmp(error->jump) != 0) {
    jpeg_destroy_decompress(info);
    return false;
  }
  jpeg_create_decompress(info);
  jpeg_stdio_src(info, file);
  jpeg_read_header(info, TRUE);
  info->out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  if (static_cast<std::uint64_t>(info->image_height) * info->image_width > kMaxPixels || info->image_height == 0 ||
      info->image_width == 0) {
    std::snprintf(error->message, sizeof(error->message), "image size %ux%u is empty or too large", info->image_width,
                  info->image_height);
    jpeg_destroy_decompress(info);
    return false;
  }
  jpeg_start_decompress(info);
  const auto components = static_cast<std::size_t>(info->output_components);
  out->height = static_cast<int>(info->output_height);
  out->width = static_cast<int>(info->output_width);
  out->channels = static_cast<int>(components);
  out->data.resize(static_cast<std::size_t>(info->output_height) * info->output_width * components);
  while (info->output_scanline < info->output_height) {
    JSAMPROW row = out->data.data() + static_cast<std::size_t>(info->output_scanline) * info->output_width * components;
    jpeg_read_scanlines(info, &row, 1);
  }
  jpeg_finish_decompress(info);
  jpeg_destroy_decompress(info);
  return true;
}

Pixels decode_jpeg(const std::filesystem::path& path, int channels) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) throw keras::FileNotFoundError("Cannot open image " + path.string());
  Pixels out;
  JpegError error{};
  jpeg_decompress_struct info{};
  if (!decode_jpeg_into(file.get(), channels, &out, &error, &info))
    throw keras::FormatError(path.string() + ": not a readable JPEG file (" + error.message + ")");
  if (channels == 4) {
    // JPEG has no alpha: opaque.
    std::vector<std::uint8_t> rgba(static_cast<std::size_t>(out.height) * out.width * 4, 255);
    for (std::size_t p = 0; p < static_cast<std::size_t>(out.height) * out.width; ++p)
      std::memcpy(&rgba[p * 4], &out.data[p * 3], 3);
    out.data = std::move(rgba);
    out.channels = 4;
  }
  return out;
}

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

}  // namespace

bool is_image_file(const std::string& path) {
  const std::string ext = lower_extension(path);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

keras::Tensor load_image_input(const std::filesystem::path& path, const keras::Shape& input_shape,
                               const ImageInputOptions& options) {
  if (input_shape.size() != 4)
    throw keras::ValueError("image " + path.string() + " given for an input of shape " +
                            keras::shape_to_string(input_shape) +
                            ": images need an input of rank 4 (batch, height, width, channels)");
  auto is_channel_count = [](std::int64_t d) { return d == 1 || d == 3 || d == 4; };
  const bool channels_first = is_channel_count(input_shape[1]) && !is_channel_count(input_shape[3]);
  const std::int64_t want_channels = channels_first ? input_shape[1] : input_shape[3];
  const std::int64_t want_height = channels_first ? input_shape[2] : input_shape[1];
  const std::int64_t want_width = channels_first ? input_shape[3] : input_shape[2];
  if (want_channels > 0 && !is_channel_count(want_channels))
    throw keras::ValueError("image " + path.string() + " given for an input with " + std::to_string(want_channels) +
                            " channels: images have 1 (grayscale), 3 (RGB) or 4 (RGBA)");
  const int channels = want_channels > 0 ? static_cast<int>(want_channels) : 3;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw keras::FileNotFoundError("Image not found: " + path.string());
  const Pixels pixels =
      lower_extension(path.string()) == ".png" ? decode_png(path, channels) : decode_jpeg(path, channels);

  keras::Tensor image({1, pixels.height, pixels.width, pixels.channels});
  float* values = image.data<float>();
  for (std::size_t i = 0; i < pixels.data.size(); ++i) values[i] = static_cast<float>(pixels.data[i]);
  const std::int64_t height = want_height > 0 ? want_height : pixels.height;
  const std::int64_t width = want_width > 0 ? want_width : pixels.width;
  if (height != pixels.height || width != pixels.width) {
    keras::layers::ResizingOptions resize;
    resize.interpolation = options.interpolation;
    keras::layers::Resizing resizing(height, width, resize);
    image = resizing->forward(image, false);
  }
  if (options.rescale != 1.0) {
    float* v = image.data<float>();
    for (std::int64_t i = 0; i < image.size(); ++i) v[i] = static_cast<float>(v[i] * options.rescale);
  }
  if (!channels_first) return image;
  // HWC -> CHW
  keras::Tensor chw({1, pixels.channels, height, width});
  const float* src = image.data<float>();
  float* dst = chw.data<float>();
  for (std::int64_t y = 0; y < height; ++y)
    for (std::int64_t x = 0; x < width; ++x)
      for (int c = 0; c < pixels.channels; ++c)
        dst[(c * height + y) * width + x] = src[(y * width + x) * pixels.channels + c];
  return chw;
}

}  // namespace keras_cli
