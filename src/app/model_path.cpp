#include "model_path.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "attn/errors.h"

namespace fs = std::filesystem;

namespace attn::app {
namespace {

fs::path executable_dir(const char* argv0) {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) self = fs::absolute(argv0, ec);
  return self.parent_path();
}

std::vector<fs::path> model_dirs(const char* argv0) {
  return {executable_dir(argv0) / ".." / "share" / "attn" / "models", fs::path(ATTN_INSTALL_MODEL_DIR),
          fs::path(ATTN_SOURCE_MODEL_DIR)};
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

}  // namespace

std::string resolve_model_path(const std::string& option_value, const char* argv0) {
  std::string requested = option_value;
  if (requested.empty()) {
    if (const char* env = std::getenv("ATTN_MODEL"); env != nullptr && *env != '\0') requested = env;
  }
  if (!requested.empty()) {
    if (is_file(requested) || requested.find('/') != std::string::npos) return requested;
    // A bare name that is not a file here: a bundled model, with or without ".json".
    const std::string file = requested.size() > 5 && requested.substr(requested.size() - 5) == ".json"
                                 ? requested
                                 : requested + ".json";
    for (const auto& dir : model_dirs(argv0)) {
      if (is_file(dir / file)) return (dir / file).lexically_normal().string();
    }
    return requested;  // loading it reports "cannot open" with the name the user gave
  }
  std::string looked;
  for (const auto& dir : model_dirs(argv0)) {
    const fs::path candidate = dir / kDefaultModelName;
    if (is_file(candidate)) return candidate.lexically_normal().string();
    looked += "\n  " + candidate.lexically_normal().string();
  }
  throw ModelError(std::string("no model given and the bundled model ") + kDefaultModelName +
                   " was not found; looked in:" + looked + "\nuse --model FILE or set ATTN_MODEL");
}

}  // namespace attn::app
