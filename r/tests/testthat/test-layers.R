test_that("layer_* composes as in keras3: model |> layer adds, tensor |> layer calls, no object returns the layer", {
  model <- keras_model_sequential(input_shape = c(3))
  returned <- model |> layer_dense(5)
  expect_identical(returned, model)
  expect_length(model$layers, 1L)

  layer <- layer_dense(units = 4, activation = "relu", name = "hidden")
  expect_s3_class(layer, "keras.src.layers.layer.Layer")
  expect_false(layer$built)
  expect_identical(layer$name, "hidden")

  x <- keras_input(shape = c(3))
  y <- x |> layer_dense(2)
  expect_s3_class(y, "kerascpp_tensor")
  expect_identical(y$shape[[2]], 2L)
  expect_null(y$shape[[1]])
  # A layer object is a function: calling it on two inputs shares its weights.
  shared <- layer_dense(units = 2)
  a <- keras_input(shape = c(3))
  b <- keras_input(shape = c(3))
  m <- keras_model(list(a, b), list(shared(a), shared(b)))
  expect_length(get_weights(m), 2L)
})

test_that("supplied arguments reach the config with Keras' types; others keep Keras' defaults", {
  layer <- layer_dense(units = 5, use_bias = FALSE)
  config <- get_config(layer)
  expect_identical(config$units, 5L)
  expect_false(config$use_bias)
  expect_identical(config$activation, "linear")
  expect_identical(get_config(layer_conv_2d(filters = 3, kernel_size = 3))$kernel_size, list(3L, 3L))
  # keras3's axes are 1-based: axis = 2 is Python's axis 1; negative ones stay.
  expect_identical(get_config(layer_concatenate(axis = 2))$axis, 1L)
  expect_identical(get_config(layer_activation_softmax(axis = -1))$axis, -1L)
  expect_identical(get_config(layer_reshape(target_shape = c(2, NA)))$target_shape, list(2L, -1L))
  expect_error(layer_identity(NULL, 3), "must be named")
})

test_that("input_shape in a first layer's ... starts a Sequential model, also through `layers`", {
  model <- keras_model_sequential() |> layer_dense(4, input_shape = c(6)) |> layer_dense(1)
  expect_identical(dim(predict(model, matrix(0, 2, 6))), c(2L, 1L))
  listed <- keras_model_sequential(layers = list(layer_dense(units = 3, input_shape = c(2)), layer_dense(units = 1)),
                                   name = "listed")
  expect_identical(listed$name, "listed")
  expect_identical(dim(predict(listed, matrix(1, 5, 2))), c(5L, 1L))
  expect_error(keras_model_sequential(list(layer_dense(units = 1))), "named argument")
})

test_that("every layer family builds and runs", {
  img <- keras_input(shape = c(8, 8, 3))
  seq <- keras_input(shape = c(6, 4))
  vec <- keras_input(shape = c(4))
  ids <- keras_input(shape = c(5), dtype = "int32")
  outputs <- list(
    img |> layer_conv_2d(4, c(3, 3), padding = "same", activation = "relu") |> layer_batch_normalization() |>
      layer_max_pooling_2d() |> layer_conv_2d_transpose(2, 2) |> layer_depthwise_conv_2d(3) |>
      layer_separable_conv_2d(2, 1) |> layer_average_pooling_2d(pool_size = 2) |> layer_upsampling_2d() |>
      layer_zero_padding_2d(padding = 1) |> layer_cropping_2d(cropping = list(c(1, 1), c(1, 1))) |>
      layer_spatial_dropout_2d(rate = 0.2) |> layer_global_average_pooling_2d(),
    img |> layer_center_crop(height = 4, width = 4) |> layer_resizing(height = 2, width = 2) |>
      layer_rescaling(scale = 0.5, offset = 1) |> layer_flatten(),
    seq |> layer_conv_1d(3, 2) |> layer_lstm(4, return_sequences = TRUE) |> layer_gru(3) |> layer_dense(2),
    seq |> layer_simple_rnn(3, return_sequences = TRUE) |> layer_layer_normalization() |>
      layer_global_max_pooling_1d(),
    seq |> layer_bidirectional(layer = layer_lstm(units = 2)),
    seq |> layer_time_distributed(layer = layer_dense(units = 2)) |> layer_permute(c(2, 1)) |>
      layer_max_pooling_1d() |> layer_flatten(),
    seq |> layer_rnn(cell = rnn_cell_gru(units = 2)),
    ids |> layer_embedding(input_dim = 10, output_dim = 3) |> layer_global_average_pooling_1d(),
    vec |> layer_dense(4) |> layer_activation_leaky_relu() |> layer_activation_elu() |>
      layer_activation_parametric_relu() |> layer_activation_relu(max_value = 6) |> layer_dropout(rate = 0.5) |>
      layer_gaussian_noise(stddev = 0.1) |> layer_unit_normalization() |> layer_activation("tanh") |>
      layer_repeat_vector(2) |> layer_reshape(c(8)),
    layer_concatenate(vec, vec |> layer_dense(2)),
    layer_add(list(vec, vec |> layer_dense(4))),
    layer_multiply(vec, vec) |> layer_subtract(inputs = list(vec)) ,
    layer_dot(list(vec, vec), axes = 2),
    layer_multi_head_attention(list(seq, seq), num_heads = 2, key_dim = 2),
    layer_attention(list(seq, seq))
  )
  model <- keras_model(list(img, seq, vec, ids), outputs)
  x <- list(random_uniform(c(2, 8, 8, 3)), random_uniform(c(2, 6, 4)), random_uniform(c(2, 4)),
            matrix(sample(0:9, 10, replace = TRUE), 2, 5))
  y <- predict(model, x)
  expect_length(y, length(outputs))
  for (out in y) expect_identical(dim(out)[1], 2L)
  expect_identical(dim(y[[5]]), c(2L, 4L))
  # Saved and reloaded, it predicts the same.
  path <- withr::local_tempfile(fileext = ".keras")
  save_model(model, path)
  expect_equal(predict(load_model(path), x), y, tolerance = 1e-6)
})

test_that("layers run on R arrays directly", {
  dense <- layer_dense(units = 2, kernel_initializer = "ones", bias_initializer = "zeros")
  expect_identical(dense(matrix(1, 3, 4)), matrix(4, 3, 2))
  expect_identical(layer_flatten(array(1:8, c(2, 2, 2))), matrix(c(1L, 2L, 5L, 6L, 3L, 4L, 7L, 8L), 2, 4))
})

test_that("symbolic tensors support arithmetic", {
  x <- keras_input(shape = c(2))
  model <- keras_model(x, (x + 1) * 2 - x / 2)
  expect_equal(predict(model, matrix(c(2, 4), 1, 2)), matrix(c(5, 8), 1, 2))
})

test_that("weights can be read, set and counted", {
  model <- keras_model_sequential(input_shape = c(3)) |> layer_dense(2, name = "d")
  w <- get_weights(model)
  expect_identical(lapply(w, dim), list(c(3L, 2L), 2L))
  expect_identical(count_params(model), 8)
  w[[1]][] <- 1
  w[[2]][] <- c(0.5, -0.5)
  set_weights(model, w)
  expect_identical(predict(model, matrix(1, 1, 3)), matrix(c(3.5, 2.5), 1, 2))
  expect_error(set_weights(model, w[1]), class = "keras_ValueError")
  w[[1]] <- matrix(0, 2, 2)
  expect_error(set_weights(model, w), class = "keras_ShapeMismatchError")
  expect_identical(get_layer(model, "d")$name, "d")
  expect_identical(get_layer(model, index = 1)$name, "d")
  model$trainable <- FALSE
  expect_false(model$trainable)
  expect_length(get_weights(model, trainable = TRUE), 0L)
})

test_that("print and summary show keras-cpp's model summary", {
  model <- keras_model_sequential(input_shape = c(3), name = "seed") |> layer_dense(5) |> layer_activation_softmax()
  text <- format(model)
  expect_identical(text, sub("\n+$", "", kerascpp:::cpp_model_summary(kerascpp:::ptr_of(model))))
  expect_match(text, "seed")
  expect_output(print(model), "Dense", fixed = TRUE)
  expect_output(s <- summary(model), "Softmax", fixed = TRUE)
  expect_identical(s, text)
  expect_output(print(layer_dense(units = 1, name = "one")), "<Dense name=one, built=False>", fixed = TRUE)
  expect_output(print(keras_input(shape = c(3))), "shape=(None, 3)", fixed = TRUE)
})
