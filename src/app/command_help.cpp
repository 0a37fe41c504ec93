// attn help [SUBCOMMAND]: the same text as attn --help, or attn SUBCOMMAND --help.
#include <cstdio>
#include <memory>

#include "cli.h"
#include "exit_codes.h"
#include "suggest.h"

namespace attn::app {

void add_help_command(CLI::App& app, Context& context) {
  auto topic = std::make_shared<std::string>();
  auto* help = app.add_subcommand("help", "Print this help, or a subcommand's (attn help classify)");
  help->add_option("subcommand", *topic, "The subcommand to describe");
  help->footer(
      "Examples:\n"
      "  attn help\n"
      "  attn help classify     (the same as attn classify --help)\n\n" +
      std::string(kExitCodesHelp));
  help->callback([&app, &context, topic] {
    if (topic->empty()) {
      // app.help() would describe the subcommand being run, this one.
      std::fputs(app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal).c_str(), stdout);
      return;
    }
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == *topic) {
        std::fputs(sub->help().c_str(), stdout);
        return;
      }
    }
    const std::string guess = closest_word(*topic, subcommand_names(app));
    std::fprintf(stderr, "attn: help: no subcommand %s%s\n", topic->c_str(),
                 guess.empty() ? "" : ("; did you mean " + guess + "?").c_str());
    context.exit_code = kExitUsage;
  });
}

}  // namespace attn::app
