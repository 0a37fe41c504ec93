// attn info: the model summary, for people (text) or scripts (json).
#include <unistd.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "attn/ops.h"
#include "cli.h"
#include "exit_codes.h"
#include "file_io.h"
#include "output_helpers.h"
#include "printable.h"

namespace attn::app {
namespace {

// "key  value" lines, nested objects flattened to dotted keys (source.files.vocab.txt). Values come from the
// model file, so they are escaped before they reach a terminal.
void append_text_lines(std::string& text, const std::string& key, const nlohmann::ordered_json& value) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [inner, item] : value.items()) append_text_lines(text, key + "." + inner, item);
    return;
  }
  const std::string shown = printable(key);
  text += shown + std::string(shown.size() < 20 ? 20 - shown.size() : 1, ' ') +
          printable(value.is_string() ? value.get<std::string>() : dump_json(value)) + "\n";
}

int run_info(const Context& context, OutputFormat format) {
  const Model& model = load_model(context);
  const ModelConfig& c = model.config();
  const ModelFileInfo& file = model.file_info();
  nlohmann::ordered_json info = {
      {"model", model.source()},
      {"format_version", file.format_version},
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
      // The kernels this CPU runs the model with (ATTN_ISA caps them): the products, and the attention heads
      // (streaming past ops::kAttentionBlock tokens when no attention dump is asked for, unless "portable").
      {"linear_kernel", ops::isa_name(ops::kernel_isa())},
      {"attention_kernel", ops::isa_name(c.attention_score == AttentionScore::Additive
                                             ? ops::Isa::Portable
                                             : ops::attention_isa(c.head_dim(), ops::kernel_isa()))},
      {"metadata",
       file.metadata_json.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json::parse(file.metadata_json)},
  };
  if (file.format_version >= 2) {
    info["embedding_dim"] = c.embedding_width();
    info["embedding_norm"] = c.embedding_norm;
    info["embedding_projection"] = c.embedding_projection;
    info["head"] = to_string(c.head);
    info["wrap"] = to_string(model.tokenizer().config().wrap);
  }
  // Where an imported model came from (metadata.source, written by tools/convert_hf.py).
  if (info["metadata"].contains("source") && info["metadata"]["source"].is_object()) {
    info["source"] = info["metadata"]["source"];
  }
  std::string text;
  if (format == OutputFormat::Text) {
    for (const auto& [key, value] : info.items()) {
      if (key != "metadata") append_text_lines(text, key, value);
    }
    // One line per metadata entry, below the dimensions, as metadata.KEY (source is flattened above).
    for (const auto& [key, value] : info["metadata"].items()) {
      if (key == "source") continue;
      // A nested object stays one JSON value on its line; the training arguments alone are some forty keys.
      append_text_lines(text, "metadata." + key, value.is_object() ? nlohmann::ordered_json(dump_json(value)) : value);
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
  auto* info =
      app.add_subcommand("info", "Print the model's format version, dimensions, parameters, labels and metadata");
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
