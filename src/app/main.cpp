// attn: classify text with a small Transformer and show what it attended to.
// The one place that catches: every error becomes a message on stderr and a documented exit code.
#include <cstdio>

#include "attn/errors.h"
#include "cli.h"
#include "exit_codes.h"
#include "file_io.h"
#include "suggest.h"

int main(int argc, char** argv) {
  using namespace attn::app;
  CLI::App app{"attn: classify text with a small Transformer and see what it attended to", "attn"};
  Context context;
  context.argv0 = argv[0];
  declare_cli(app, context);
  try {
    app.parse(argc, argv);  // runs the chosen subcommand's callback
    return context.exit_code;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A mistyped subcommand or option: the nearest known one first, then what the parser says.
    const std::string guess = did_you_mean(app);
    std::fputs(guess.c_str(), stderr);
    if (guess.empty()) app.exit(e);
    return kExitUsage;
  } catch (const Interrupted&) {
    std::fprintf(stderr, "attn: interrupted\n");
    return kExitInterrupted;
  } catch (const BrokenPipe&) {
    return kExitBrokenPipe;  // the reader has all it wanted (`attn ... | head -1`): nothing to report
  } catch (const attn::ModelError& e) {
    std::fprintf(stderr, "attn: model error: %s\n", e.what());
    return kExitModel;
  } catch (const attn::IoError& e) {
    std::fprintf(stderr, "attn: %s\n", e.what());
    return kExitIo;
  } catch (const attn::Error& e) {
    std::fprintf(stderr, "attn: %s\n", e.what());
    return kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attn: internal error: %s\n", e.what());
    return kExitFailure;
  }
}
