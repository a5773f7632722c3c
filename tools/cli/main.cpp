// keras-cpp: the command line. `keras-cpp --help` lists the commands,
// `keras-cpp COMMAND --help` their options.
// Exit status: 0 on success, 1 on an error (one line on stderr naming the file
// and the part at fault), 2 on bad usage (one line and a pointer to --help).
// `diff` exits 1 when the models differ and 2 on trouble, as diff(1) does.
#include <csignal>
#include <iostream>

#include "cli.hpp"

#ifndef KERAS_CPP_VERSION
#define KERAS_CPP_VERSION "unknown"
#endif

namespace {

std::string one_line(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // Line breaks (and the blank lines between paragraphs) become one space.
  std::string out;
  for (char c : message) {
    const bool line_break = c == '\n' || c == '\r';
    if (line_break && !out.empty() && out.back() == ' ') continue;
    out += line_break ? ' ' : c;
  }
  return out;
}

// "keras-cpp predict --help" for the command being parsed.
std::string help_pointer(const CLI::App& app) {
  std::string command = "keras-cpp";
  for (const auto* sub : app.get_subcommands()) command += " " + sub->get_name();
  return "see '" + command + " --help'";
}

}  // namespace

namespace {

int run_command_line(int argc, char** argv) {
  // A closed stdout (keras-cpp info | head) ends writes with an error, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app(
      "keras-cpp " KERAS_CPP_VERSION
      ": inspect, run, train, convert, compare and draw Keras 3 model files (.keras, model directories, legacy "
      ".h5, config JSON + weights) without Python.",
      "keras-cpp");
  app.set_version_flag("--version", std::string("keras-cpp " KERAS_CPP_VERSION "\nwrites the Keras ") +
                                        keras::saving::kKerasVersion + " format (metadata.json keras_version \"" +
                                        keras::saving::kKerasVersion + "\")");
  app.require_subcommand(1);
  app.fallthrough();
  keras_cli::Context context;
  keras_cli::add_quiet_flag(app, context);
  keras_cli::add_limit_options(app, context);
  keras_cli::add_info_command(app, context);
  keras_cli::add_predict_command(app, context);
  keras_cli::add_convert_command(app, context);
  keras_cli::add_diff_command(app, context);
  keras_cli::add_plot_command(app, context);
  keras_cli::add_check_command(app, context);
  keras_cli::add_fit_command(app, context);
  keras_cli::add_evaluate_command(app, context);
  keras_cli::add_completion_command(app, context);
  int error_status = 1;
  try {
    app.parse(argc, argv);
    for (const auto* sub : app.get_subcommands()) {
      if (sub->get_name() == "diff") error_status = 2;
    }
    return context.run ? context.run() : 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, std::cout, std::cerr);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, std::cout, std::cerr);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, std::cout, std::cerr);
  } catch (const CLI::ParseError& e) {
    std::cerr << "keras-cpp: " << one_line(e.what()) << " (" << help_pointer(app) << ")\n";
    return 2;
  } catch (const keras_cli::UsageError& e) {
    std::cerr << "keras-cpp: " << one_line(e.what()) << " (" << help_pointer(app) << ")\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "keras-cpp: error: " << one_line(e.what()) << "\n";
    return error_status;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_command_line(argc, argv);
  } catch (...) {
    // Only when something outside the commands fails: building the parser, reporting an error.
    return 1;
  }
}
