// NumPy .npy reading and writing (format versions 1.0-3.0).
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

#include "keras/tensor.hpp"

namespace keras {

namespace {

// numpy descr strings for each dtype, little-endian.
std::string npy_descr(DType dtype) {
  switch (dtype) {
    case DType::float32: return "<f4";
    case DType::float64: return "<f8";
    case DType::float16: return "<f2";
    case DType::bfloat16: return "<V2";  // numpy has no bfloat16; ml_dtypes saves raw 2-byte voids
    case DType::int8: return "|i1";
    case DType::int16: return "<i2";
    case DType::int32: return "<i4";
    case DType::int64: return "<i8";
    case DType::uint8: return "|u1";
    case DType::uint16: return "<u2";
    case DType::uint32: return "<u4";
    case DType::uint64: return "<u8";
    case DType::bool_: return "|b1";
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
  if (header_len > 1 << 20 || header_start + header_len > bytes.size())
    throw FormatError(origin + ": truncated .npy header");
  std::string header(reinterpret_cast<const char*>(bytes.data() + header_start), header_len);

  std::smatch m;
  static const std::regex descr_re(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex fortran_re(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex shape_re(R"('shape'\s*:\s*\(([^)]*)\))");
  if (!std::regex_search(header, m, descr_re)) throw FormatError(origin + ": .npy header has no 'descr'");
  DType dtype = dtype_from_descr(m[1].str(), origin);
  if (!std::regex_search(header, m, fortran_re)) throw FormatError(origin + ": .npy header has no 'fortran_order'");
  bool fortran = m[1].str() == "True";
  if (!std::regex_search(header, m, shape_re)) throw FormatError(origin + ": .npy header has no 'shape'");
  Shape shape;
  std::string dims = m[1].str();
  static const std::regex int_re(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), int_re); it != std::sregex_iterator(); ++it) {
    shape.push_back(std::stoll(it->str()));
  }
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
