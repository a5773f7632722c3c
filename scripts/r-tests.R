# Runs the R package's testthat suite against the installed kerascpp (make r-test) and
# ends with a "kerascpp: N passed, N failed" line; exits non-zero on any failure.
# Usage: Rscript scripts/r-tests.R r/tests/testthat
args <- commandArgs(trailingOnly = TRUE)
results <- as.data.frame(testthat::test_dir(normalizePath(args[[1]]), package = "kerascpp",
                                            load_package = "installed", reporter = "summary",
                                            stop_on_failure = FALSE))
failed <- sum(results$failed) + sum(results$error)
cat(sprintf("kerascpp: %d passed, %d failed\n", sum(results$nb) - sum(results$failed), failed))
quit(status = if (failed > 0) 1 else 0)
