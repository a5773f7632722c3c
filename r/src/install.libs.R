# Installs the package's shared object together with the keras-cpp library it
# links (found by ../configure), so that the package does not depend on the
# CMake build tree once installed.
libs <- file.path(R_PACKAGE_DIR, paste0("libs", R_ARCH))
dir.create(libs, recursive = TRUE, showWarnings = FALSE)
files <- Sys.glob(paste0("*", SHLIB_EXT))
keras_cpp <- readLines("keras-cpp-library", n = 1L)
stopifnot(file.exists(keras_cpp))
file.copy(files, libs, overwrite = TRUE)
file.copy(keras_cpp, file.path(libs, basename(keras_cpp)), overwrite = TRUE, copy.mode = TRUE)
