// Registration of the built-in metric classes, one function per family, each
// beside its classes; the metric registry calls them all once.
#pragma once

#include "training/metrics/metric_utils.hpp"

namespace keras::metrics::detail {

void register_reduction_metrics();
void register_accuracy_metrics();
void register_regression_metrics();
void register_probabilistic_metrics();
void register_confusion_metrics();
void register_f_score_metrics();
void register_iou_metrics();

// A MeanMetricWrapper subclass: `class_name` with its own config, the mean of fn's values.
MetricPtr named_wrapper(const std::string& class_name, Config config, MetricFunction fn, Json kwargs,
                        const std::string& direction);

}  // namespace keras::metrics::detail
