// Uses the installed library through keras::keras: tensors, .npy bytes, and an
// exception thrown inside the shared library and caught here by its type.
#include <cstdio>
#include <vector>

#include <keras/tensor.hpp>

int main() {
  const keras::Tensor matrix = keras::Tensor::from_vector({2, 3}, {1.0F, 2.0F, 3.0F, 4.0F, 5.0F, 6.0F});
  const keras::Tensor reshaped = matrix.reshape({3, -1});
  if (reshaped.shape() != keras::Shape{3, 2} || reshaped.at(5) != 6.0) {
    std::puts("reshape gave the wrong shape or values");
    return 1;
  }

  const std::vector<std::byte> npy = keras::serialize_npy(matrix.astype(keras::DType::float16));
  const keras::Tensor parsed = keras::parse_npy(npy);
  if (parsed.dtype() != keras::DType::float16 || !keras::allclose(parsed.astype(keras::DType::float32), matrix)) {
    std::puts(".npy round trip changed the tensor");
    return 1;
  }

  try {
    (void)keras::dtype_from_name("no-such-dtype");
    std::puts("dtype_from_name accepted an unknown name");
    return 1;
  } catch (const keras::ValueError&) {
    // Expected: the exception type is shared across the library boundary.
  }

  std::puts("keras-cpp consumer OK");
  return 0;
}
