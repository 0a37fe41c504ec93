// attn info: the model summary, for people (text) or scripts (json).
#include <unistd.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "exit_codes.h"
#include "file_io.h"
#include "output_helpers.h"
#include "printable.h"

namespace attn::app {
namespace {

int run_info(const Context& context, OutputFormat format) {
  const Model& model = load_model(context);
  const ModelConfig& c = model.config();
  const nlohmann::ordered_json info = {
      {"model", model.source()},
      {"format_version", kFormatVersion},
      {"parameters", model.parameter_count()},
      {"vocab_size", c.vocab_size},
      {"max_length", c.max_length},
      {"d_model", c.d_model},
      {"num_heads", c.num_heads},
      {"num_layers", c.num_layers},
      {"ffn_dim", c.ffn_dim},
      {"layer_norm_eps", json_float(c.layer_norm_eps)},
      {"norm_placement", to_string(c.norm_placement)},
      {"activation", to_string(c.activation)},
      {"positional_encoding", to_string(c.positional_encoding)},
      {"attention_score", to_string(c.attention_score)},
      {"causal", c.causal},
      {"pooling", to_string(c.pooling)},
      {"labels", model.labels()},
  };
  std::string text;
  if (format == OutputFormat::Text) {
    for (const auto& [key, value] : info.items()) {
      text += key + std::string(key.size() < 20 ? 20 - key.size() : 1, ' ') +
              printable(value.is_string() ? value.get<std::string>() : dump_json(value)) + "\n";
    }
  } else {
    text = dump_json(info, 2) + "\n";
  }
  OutputSink out(STDOUT_FILENO, "stdout");
  out.append(text);
  out.flush();
  return kExitOk;
}

}  // namespace

void add_info_command(CLI::App& app, Context& context) {
  auto format = std::make_shared<OutputFormat>(OutputFormat::Text);
  auto* info = app.add_subcommand("info", "Print the model's format version, dimensions, parameters and labels");
  info->add_option_function<std::string>(
          "-f,--format", [format](const std::string& name) { *format = output_format_named(name); }, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  info->footer(
      "Examples:\n"
      "  attn info\n"
      "  attn info --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"max_length\"])'\n"
      "  attn --model path/to/model.json info     # load and check a model of your own\n\n" +
      std::string(kExitCodesHelp));
  info->callback([&context, format] {
    begin_command(context);
    context.exit_code = run_info(context, *format);
  });
}

}  // namespace attn::app
