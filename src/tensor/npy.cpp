// NumPy .npy reading and writing (format versions 1.0-3.0).
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "keras/tensor.hpp"

namespace keras {

namespace {

// numpy descr strings for each dtype, little-endian.
std::string npy_descr(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return "<f4";
    case DType::float64:
      return "<f8";
    case DType::float16:
      return "<f2";
    case DType::bfloat16:
      return "<V2";  // numpy has no bfloat16; ml_dtypes saves raw 2-byte voids
    case DType::int8:
      return "|i1";
    case DType::int16:
      return "<i2";
    case DType::int32:
      return "<i4";
    case DType::int64:
      return "<i8";
    case DType::uint8:
      return "|u1";
    case DType::uint16:
      return "<u2";
    case DType::uint32:
      return "<u4";
    case DType::uint64:
      return "<u8";
    case DType::bool_:
      return "|b1";
  }
  return "";
}

DType dtype_from_descr(const std::string& descr, const std::string& origin) {
  if (descr.size() < 3) throw FormatError(origin + ": unsupported .npy dtype '" + descr + "'");
  char order = descr[0];
  if (order == '>' && descr.substr(2) != "1")
    throw FormatError(origin + ": big-endian .npy data ('" + descr + "') is not supported");
  std::string kind = descr.substr(1);
  if (kind == "f4") return DType::float32;
  if (kind == "f8") return DType::float64;
  if (kind == "f2") return DType::float16;
  if (kind == "i1") return DType::int8;
  if (kind == "i2") return DType::int16;
  if (kind == "i4") return DType::int32;
  if (kind == "i8") return DType::int64;
  if (kind == "u1") return DType::uint8;
  if (kind == "u2") return DType::uint16;
  if (kind == "u4") return DType::uint32;
  if (kind == "u8") return DType::uint64;
  if (kind == "b1") return DType::bool_;
  if (kind == "V2") return DType::bfloat16;
  throw FormatError(origin + ": unsupported .npy dtype '" + descr + "'");
}

// Reverses the axis order of a Fortran-ordered buffer into row-major.
Tensor fortran_to_c(const Tensor& column_major_view, const Shape& shape) {
  // column_major_view holds the data with shape reversed (C order of the transpose).
  Tensor out(shape, column_major_view.dtype());
  const int rank = static_cast<int>(shape.size());
  const std::size_t item = dtype_size(out.dtype());
  const auto* src = static_cast<const std::byte*>(column_major_view.raw_data());
  auto* dst = static_cast<std::byte*>(out.raw_data());
  std::vector<std::int64_t> index(static_cast<std::size_t>(rank), 0);
  const std::int64_t n = out.size();
  for (std::int64_t flat = 0; flat < n; ++flat) {
    // index is the C-order multi-index of flat; Fortran offset = sum index[k] * prod(shape[<k]).
    std::int64_t offset = 0;
    std::int64_t stride = 1;
    for (int k = 0; k < rank; ++k) {
      offset += index[static_cast<std::size_t>(k)] * stride;
      stride *= shape[static_cast<std::size_t>(k)];
    }
    std::memcpy(dst + static_cast<std::size_t>(flat) * item, src + static_cast<std::size_t>(offset) * item, item);
    for (int k = rank - 1; k >= 0; --k) {
      if (++index[static_cast<std::size_t>(k)] < shape[static_cast<std::size_t>(k)]) break;
      index[static_cast<std::size_t>(k)] = 0;
    }
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The text after `'key':` in the header dict (leading spaces skipped). A plain scan rather than
// std::regex, whose matcher recurses once per character and overflows the stack on long headers.
std::string_view header_value(std::string_view header, std::string_view key, const std::string& origin) {
  const std::string quoted_key = "'" + std::string(key) + "'";
  for (std::size_t at = header.find(quoted_key); at != std::string_view::npos; at = header.find(quoted_key, at + 1)) {
    std::size_t i = at + quoted_key.size();
    while (i < header.size() && is_space(header[i])) ++i;
    if (i >= header.size() || header[i] != ':') continue;
    ++i;
    while (i < header.size() && is_space(header[i])) ++i;
    return header.substr(i);
  }
  throw FormatError(origin + ": .npy header has no '" + std::string(key) + "'");
}

// 'text' at the start of `value` -> text.
std::string_view quoted_prefix(std::string_view value, const std::string& origin) {
  const std::size_t close = value.empty() || value[0] != '\'' ? std::string_view::npos : value.find('\'', 1);
  if (close == std::string_view::npos) throw FormatError(origin + ": .npy header's 'descr' is not a quoted string");
  return value.substr(1, close - 1);
}

// "(2, 3)", "(5,)", "()" at the start of `value`: non-negative integers, possibly a trailing comma.
Shape parse_shape_tuple(std::string_view value, const std::string& origin) {
  const std::size_t close = value.empty() || value[0] != '(' ? std::string_view::npos : value.find(')');
  if (close == std::string_view::npos) throw FormatError(origin + ": .npy header's 'shape' is not a tuple");
  const std::string_view items = value.substr(1, close - 1);
  auto invalid = [&] {
    return FormatError(origin + ": .npy header has an invalid shape (" + std::string(items) + ")");
  };
  Shape shape;
  std::size_t i = 0;
  while (true) {
    while (i < items.size() && is_space(items[i])) ++i;
    if (i == items.size()) break;
    constexpr std::int64_t kMaxDim = std::int64_t{1} << 62;  // far beyond any real array
    std::int64_t dim = 0;
    const std::size_t digits_start = i;
    for (; i < items.size() && items[i] >= '0' && items[i] <= '9'; ++i) {
      if (dim > kMaxDim / 10) throw FormatError(origin + ": .npy shape is too large");
      dim = dim * 10 + (items[i] - '0');
    }
    if (i == digits_start) throw invalid();
    shape.push_back(dim);
    while (i < items.size() && is_space(items[i])) ++i;
    if (i == items.size()) break;
    if (items[i] != ',') throw invalid();
    ++i;
  }
  return shape;
}

}  // namespace

Tensor parse_npy(std::span<const std::byte> bytes, const std::string& origin) {
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), magic, 6) != 0)
    throw FormatError(origin + ": not a .npy file (bad magic)");
  const auto major = static_cast<unsigned>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<std::size_t>(bytes[8]) | (static_cast<std::size_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw FormatError(origin + ": truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(bytes[8 + i]) << (8 * i);
    header_start = 12;
  } else {
    throw FormatError(origin + ": unsupported .npy version " + std::to_string(major));
  }
  // numpy (>= 1.24) refuses longer headers too.
  constexpr std::size_t kMaxHeaderSize = 10000;
  if (header_len > kMaxHeaderSize)
    throw FormatError(origin + ": .npy header of " + std::to_string(header_len) + " bytes exceeds numpy's limit of " +
                      std::to_string(kMaxHeaderSize));
  if (header_start + header_len > bytes.size()) throw FormatError(origin + ": truncated .npy header");
  const std::string header(reinterpret_cast<const char*>(bytes.data() + header_start), header_len);

  const std::string_view descr = quoted_prefix(header_value(header, "descr", origin), origin);
  const DType dtype = dtype_from_descr(std::string(descr), origin);
  const std::string_view fortran_text = header_value(header, "fortran_order", origin);
  if (!fortran_text.starts_with("True") && !fortran_text.starts_with("False"))
    throw FormatError(origin + ": .npy header's 'fortran_order' is neither True nor False");
  const bool fortran = fortran_text.starts_with("True");
  const Shape shape = parse_shape_tuple(header_value(header, "shape", origin), origin);
  const std::size_t data_start = header_start + header_len;
  std::int64_t count = 0;
  try {
    count = shape_size(shape);
  } catch (const ValueError&) {
    throw FormatError(origin + ": .npy shape is too large");
  }
  const std::size_t available = bytes.size() - data_start;
  if (static_cast<std::uint64_t>(count) > available / dtype_size(dtype))
    throw FormatError(origin + ": .npy data is truncated: shape " + shape_to_string(shape) + " needs " +
                      std::to_string(static_cast<std::uint64_t>(count) * dtype_size(dtype)) + " bytes, " +
                      std::to_string(available) + " present");
  Shape stored_shape = shape;
  if (fortran) std::reverse(stored_shape.begin(), stored_shape.end());
  Tensor t(stored_shape, dtype);
  std::memcpy(t.raw_data(), bytes.data() + data_start, t.nbytes());
  if (fortran && shape.size() > 1) return fortran_to_c(t, shape);
  return t.reshape(shape);
}

Tensor load_npy(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileNotFoundError("Cannot open .npy file: " + path.string());
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_npy(std::as_bytes(std::span<const char>(raw.data(), raw.size())), path.string());
}

std::vector<std::byte> serialize_npy(const Tensor& tensor) {
  std::string dict = "{'descr': '" + npy_descr(tensor.dtype()) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < tensor.shape().size(); ++i) {
    dict += std::to_string(tensor.shape()[i]);
    if (tensor.shape().size() == 1 || i + 1 < tensor.shape().size()) dict += ",";
    if (i + 1 < tensor.shape().size()) dict += " ";
  }
  dict += "), }";
  // Pad with spaces so that the data starts at a multiple of 64 bytes, then newline.
  std::size_t total = 10 + dict.size() + 1;
  std::size_t padding = (64 - total % 64) % 64;
  dict.append(padding, ' ');
  dict += '\n';
  std::vector<std::byte> out;
  out.reserve(10 + dict.size() + tensor.nbytes());
  const unsigned char preamble[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  for (unsigned char c : preamble) out.push_back(static_cast<std::byte>(c));
  out.push_back(static_cast<std::byte>(dict.size() & 0xFF));
  out.push_back(static_cast<std::byte>((dict.size() >> 8) & 0xFF));
  for (char c : dict) out.push_back(static_cast<std::byte>(c));
  if (tensor.defined()) {
    auto data = tensor.bytes();
    out.insert(out.end(), data.begin(), data.end());
  }
  return out;
}

void save_npy(const std::filesystem::path& path, const Tensor& tensor) {
  auto bytes = serialize_npy(tensor);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IOError("Cannot write .npy file: " + path.string());
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw IOError("Failed writing .npy file: " + path.string());
}

}  // namespace keras
