#' Optimizers
#'
#' Keras' optimizers, with Keras' defaults, for [compile()]. keras-cpp keeps
#' their configuration and variables exactly as Keras does, so a model
#' compiled and saved here resumes training in Python Keras.
#'
#' @param learning_rate The learning rate.
#' @param momentum,nesterov SGD's (and RMSprop's) momentum; Nesterov momentum.
#' @param rho The decay rate of RMSprop's and Adadelta's moving averages.
#' @param beta_1,beta_2 The decay rates of the first and second moment estimates.
#' @param epsilon A small constant for numerical stability.
#' @param amsgrad Whether to use the AMSGrad variant of Adam(W).
#' @param centered Whether RMSprop normalizes by the centered second moment.
#' @param initial_accumulator_value The starting value of Adagrad's and Ftrl's accumulators.
#' @param learning_rate_power,l1_regularization_strength,l2_regularization_strength,l2_shrinkage_regularization_strength,beta
#'   Ftrl's parameters.
#' @param weight_decay Weight decay (decoupled, as in AdamW).
#' @param clipnorm,clipvalue,global_clipnorm Gradient clipping by norm, value or global norm.
#' @param use_ema,ema_momentum,ema_overwrite_frequency Exponential moving average of the weights.
#' @param loss_scale_factor A fixed loss scale.
#' @param gradient_accumulation_steps Update the weights every this many steps.
#' @param name The optimizer's name.
#' @param ... Further Keras arguments by name.
#' @returns An optimizer object.
#' @examples
#' opt <- optimizer_adam(learning_rate = 1e-3)
#' opt
#' @name optimizers
NULL

new_optimizer <- function(class_name, args) {
  args <- args[!vapply(args, is.null, NA)]
  for (name in intersect(names(args), c("ema_overwrite_frequency", "gradient_accumulation_steps")))
    args[[name]] <- as.integer(args[[name]])
  structure(cpp_optimizer_from_config(class_name, args),
            class = c(paste0("keras.optimizers.", class_name), "kerascpp_optimizer"))
}

#' @export
format.kerascpp_optimizer <- function(x, ...) {
  info <- cpp_optimizer_config(x)
  sprintf("<%s name=%s, learning_rate=%s>", info$class_name, info$config$name,
          format(info$config$learning_rate))
}

#' @export
print.kerascpp_optimizer <- print_formatted

#' @rdname optimizers
#' @export
optimizer_sgd <- function(learning_rate = 0.01, momentum = 0, nesterov = FALSE, weight_decay = NULL, clipnorm = NULL,
                          clipvalue = NULL, global_clipnorm = NULL, use_ema = FALSE, ema_momentum = 0.99,
                          ema_overwrite_frequency = NULL, name = "SGD", ..., loss_scale_factor = NULL,
                          gradient_accumulation_steps = NULL) {
  new_optimizer("SGD", capture_args(ignore = character()))
}

#' @rdname optimizers
#' @export
optimizer_adam <- function(learning_rate = 0.001, beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-07, amsgrad = FALSE,
                           weight_decay = NULL, clipnorm = NULL, clipvalue = NULL, global_clipnorm = NULL,
                           use_ema = FALSE, ema_momentum = 0.99, ema_overwrite_frequency = NULL, name = "adam", ...,
                           loss_scale_factor = NULL, gradient_accumulation_steps = NULL) {
  new_optimizer("Adam", capture_args(ignore = character()))
}

#' @rdname optimizers
#' @export
optimizer_adam_w <- function(learning_rate = 0.001, weight_decay = 0.004, beta_1 = 0.9, beta_2 = 0.999,
                             epsilon = 1e-07, amsgrad = FALSE, clipnorm = NULL, clipvalue = NULL,
                             global_clipnorm = NULL, use_ema = FALSE, ema_momentum = 0.99,
                             ema_overwrite_frequency = NULL, name = "adamw", ..., loss_scale_factor = NULL,
                             gradient_accumulation_steps = NULL) {
  new_optimizer("AdamW", capture_args(ignore = character()))
}

#' @rdname optimizers
#' @export
optimizer_rmsprop <- function(learning_rate = 0.001, rho = 0.9, momentum = 0, epsilon = 1e-07, centered = FALSE,
                              weight_decay = NULL, clipnorm = NULL, clipvalue = NULL, global_clipnorm = NULL,
                              use_ema = FALSE, ema_momentum = 0.99, ema_overwrite_frequency = NULL,
                              name = "rmsprop", ..., loss_scale_factor = NULL, gradient_accumulation_steps = NULL) {
  new_optimizer("RMSprop", capture_args(ignore = character()))
}

#' @rdname optimizers
#' @export
optimizer_adagrad <- function(learning_rate = 0.001, initial_accumulator_value = 0.1, epsilon = 1e-07,
                              weight_decay = NULL, clipnorm = NULL, clipvalue = NULL, global_clipnorm = NULL,
                              use_ema = FALSE, ema_momentum = 0.99, ema_overwrite_frequency = NULL,
                              name = "adagrad", ..., loss_scale_factor = NULL, gradient_accumulation_steps = NULL) {
  new_optimizer("Adagrad", capture_args(ignore = character()))
}

#' @rdname optimizers
#' @export
optimizer_nadam <- function(learning_rate = 0.001, beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-07,
                            weight_decay = NULL, clipnorm = NULL, clipvalue = NULL, global_clipnorm = NULL,
                            use_ema = FALSE, ema_momentum = 0.99, ema_overwrite_frequency = NULL, name = "nadam", ...,
                            loss_scale_factor = NULL, gradient_accumulation_steps = NULL) {
  new_optimizer("Nadam", capture_args(ignore = character()))
}

#' @rdname optimizers
#' @export
optimizer_adamax <- function(learning_rate = 0.001, beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-07,
                             weight_decay = NULL, clipnorm = NULL, clipvalue = NULL, global_clipnorm = NULL,
                             use_ema = FALSE, ema_momentum = 0.99, ema_overwrite_frequency = NULL, name = "adamax",
                             ..., loss_scale_factor = NULL, gradient_accumulation_steps = NULL) {
  new_optimizer("Adamax", capture_args(ignore = character()))
}

#' @rdname optimizers
#' @export
optimizer_adadelta <- function(learning_rate = 0.001, rho = 0.95, epsilon = 1e-07, weight_decay = NULL,
                               clipnorm = NULL, clipvalue = NULL, global_clipnorm = NULL, use_ema = FALSE,
                               ema_momentum = 0.99, ema_overwrite_frequency = NULL, name = "adadelta", ...,
                               loss_scale_factor = NULL, gradient_accumulation_steps = NULL) {
  new_optimizer("Adadelta", capture_args(ignore = character()))
}

#' @rdname optimizers
#' @export
optimizer_lion <- function(learning_rate = 0.001, beta_1 = 0.9, beta_2 = 0.99, weight_decay = NULL, clipnorm = NULL,
                           clipvalue = NULL, global_clipnorm = NULL, use_ema = FALSE, ema_momentum = 0.99,
                           ema_overwrite_frequency = NULL, name = "lion", ..., loss_scale_factor = NULL,
                           gradient_accumulation_steps = NULL) {
  new_optimizer("Lion", capture_args(ignore = character()))
}

#' @rdname optimizers
#' @export
optimizer_ftrl <- function(learning_rate = 0.001, learning_rate_power = -0.5, initial_accumulator_value = 0.1,
                           l1_regularization_strength = 0, l2_regularization_strength = 0,
                           l2_shrinkage_regularization_strength = 0, beta = 0, weight_decay = NULL, clipnorm = NULL,
                           clipvalue = NULL, global_clipnorm = NULL, use_ema = FALSE, ema_momentum = 0.99,
                           ema_overwrite_frequency = NULL, name = "ftrl", ..., loss_scale_factor = NULL,
                           gradient_accumulation_steps = NULL) {
  new_optimizer("Ftrl", capture_args(ignore = character()))
}
