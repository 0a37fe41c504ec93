#pragma once
#include <string>

namespace attn::app {

// The file name of the bundled default model.
constexpr const char* kDefaultModelName = "sst2-sentiment.json";

// Which model file to load: --model if given (a path, or the name of a bundled model such as
// "sst2-sentiment"), else $ATTN_MODEL, else the bundled default found beside the installed binary,
// in the install data directory, or in the source tree of a build-tree binary.
// Throws ModelError listing the places looked in when nothing is found.
std::string resolve_model_path(const std::string& option_value, const char* argv0);

}  // namespace attn::app
