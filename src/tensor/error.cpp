// keras::Error's context chain and how what() renders it.
#include "keras/error.hpp"

namespace keras {

namespace {

// "while loading layer 'functional/dense_3' from model.keras config.json":
// the object path runs outermost to innermost, the sources innermost first.
std::string render(const std::string& message, const std::vector<ErrorContext>& context) {
  if (context.empty()) return message;
  std::string path;
  const ErrorContext* innermost = nullptr;
  std::string sources;
  for (auto it = context.rbegin(); it != context.rend(); ++it) {
    if (it->kind == ErrorContext::Kind::object) {
      path += (path.empty() ? "" : "/") + it->name;
      innermost = &*it;
    }
  }
  for (const auto& frame : context) {
    if (frame.kind == ErrorContext::Kind::source) sources += (sources.empty() ? "" : " in ") + frame.what;
  }
  std::string where;
  if (innermost != nullptr) where = "while " + innermost->action + " " + innermost->what + " '" + path + "'";
  if (!sources.empty()) where += (where.empty() ? "while reading " : " from ") + sources;
  return message + " (" + where + ")";
}

}  // namespace

Error::Error(const std::string& message) : std::runtime_error(message), message_(message), what_(message) {}

void Error::add_context(ErrorContext frame) {
  context_.push_back(std::move(frame));
  what_ = render(message_, context_);
}

}  // namespace keras
