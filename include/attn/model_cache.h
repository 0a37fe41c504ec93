#pragma once
// A binary copy of a checked model, so that later runs load in milliseconds instead of parsing JSON.
//
// The JSON file stays the source of truth: a cache entry records the JSON file's device, inode, size,
// modification and change times, taken from the descriptor its bytes were read through, and is used only while
// all of them still match; any mismatch, a damaged entry (checksum) or an entry written by another cache version
// is ignored and rewritten. The cache trusts only its user's own files: a directory that another user owns or
// may write is not used at all, nor an entry that is not a regular file of this user's (README, "The model
// cache"). Weights are stored as their float32 bits, so a
// model loaded from the cache is bit-identical to one parsed from the JSON (tests/test_model_cache.cpp).
#include <optional>
#include <string>

#include "attn/model.h"

namespace attn {

// The cache directory: $ATTN_CACHE_DIR, else $XDG_CACHE_HOME/attn, else $HOME/.cache/attn ("" if none).
std::string default_cache_dir();

// Where the cache entry of a model file lives inside cache_dir.
std::string cache_path_for(const std::string& json_path, const std::string& cache_dir);

// Serialises a loaded model, keyed to the JSON file it came from, into path (written to a temporary file and
// renamed, so a reader never sees half an entry). Throws IoError.
void write_model_cache(const Model& model, const std::string& json_path, const std::string& path);

// The model from a cache entry, or nothing when the entry is missing, stale, damaged or of another version.
std::optional<Model> read_model_cache(const std::string& json_path, const std::string& path);

// What load_model_cached did, for the caller to log.
struct CacheOutcome {
  bool hit = false;      // loaded from the cache
  std::string entry;     // the cache entry's path ("" when no cache is used)
  std::string problem;   // why a fresh entry could not be written ("" if none)
  std::string refused;   // why the cache directory was not used at all ("" if it was)
};

// Loads json_path through the cache in cache_dir (empty: no cache): reads a valid entry, else parses the JSON
// and writes a fresh entry; a cache that cannot be written is reported in outcome, never an error. No entry is
// written for a file that changed while it was read, or so recently that a change could leave its stamp.
// Throws ModelError as Model::load does.
Model load_model_cached(const std::string& json_path, const std::string& cache_dir, CacheOutcome* outcome = nullptr);

}  // namespace attn
