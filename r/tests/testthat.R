library(testthat)
library(kerascpp)

test_check("kerascpp")
