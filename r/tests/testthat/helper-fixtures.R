# Resolved once, so that tests may change the working directory.
fixtures_root <- normalizePath(test_path("fixtures"), mustWork = TRUE)

fixture_path <- function(case, file = NULL) {
  path <- file.path(fixtures_root, case)
  if (is.null(file)) path else file.path(path, file)
}

fixture_case <- function(case) kerascpp:::read_json(fixture_path(case, "case.json"))

fixture_inputs <- function(case) {
  lapply(unlist(fixture_case(case)$inputs), function(f) kerascpp:::read_npy(fixture_path(case, f)))
}

fixture_outputs <- function(case) {
  lapply(unlist(fixture_case(case)$outputs), function(f) kerascpp:::read_npy(fixture_path(case, f)))
}

# numpy.allclose(actual, expected, rtol, atol), with the fixture's tolerance.
expect_close <- function(actual, expected, atol, rtol) {
  expect_identical(dim(actual), dim(expected))
  excess <- abs(actual - expected) - (atol + rtol * abs(expected))
  expect_true(all(excess <= 0), info = sprintf("max |diff| = %g", max(abs(actual - expected))))
}

expect_predicts_fixture <- function(model, case) {
  info <- fixture_case(case)
  x <- fixture_inputs(case)
  y <- fixture_outputs(case)
  predicted <- predict(model, if (length(x) == 1L) x[[1L]] else x)
  if (length(y) == 1L) predicted <- list(predicted)
  expect_length(predicted, length(y))
  for (i in seq_along(y)) expect_close(predicted[[i]], y[[i]], info$atol, info$rtol)
}

# A fresh working directory for the calling test, removed afterwards.
local_tempdir_wd <- function(env = parent.frame()) {
  dir <- withr::local_tempdir(.local_envir = env)
  withr::local_dir(dir, .local_envir = env)
  dir
}
