#pragma once
// Where an output path leads, worked out the way the shell's `>` would open it, before anything is written.
#include <sys/stat.h>

#include <string>

namespace attn::app {

struct OutputTarget {
  enum class Kind {
    Descriptor,  // /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: an open descriptor, written where it stands
    InPlace,     // an existing file that is not a regular file (a FIFO, a terminal, /dev/null): opened and written
    Replace,     // a regular file, or none yet: written beside it and renamed over it
    CopyIn,      // a regular file with other hard links: written beside it, then copied into it (every name sees it)
  } kind = Kind::Replace;
  std::string path;     // the file at the end of any symbolic links (Descriptor: as given)
  int descriptor = -1;  // Descriptor only
  bool exists = false;  // Replace and CopyIn: the file exists (then `existing` is its stat)
  struct stat existing {};
};

// Follows symbolic links one at a time (a dangling link leads to the file it names, to be created, as with the
// shell). Throws IoError naming `path` for a link loop, a file the user may not write, or a path that cannot be
// examined.
OutputTarget resolve_output(const std::string& path);

// Device and inode of a file an output would write to, or of an input file, so that two names for one file
// compare equal; for a file yet to be created, its directory's and its name.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  std::string new_name;  // "" for an existing file
  bool operator==(const FileIdentity& other) const {
    return device == other.device && inode == other.inode && new_name == other.new_name;
  }
};
// The identity of the regular file an output path would write, existing or new (false: a FIFO, a device, a
// descriptor that is not a regular file, a path that cannot be written).
bool output_identity(const std::string& path, FileIdentity& out);
// The identity of an existing regular file (false otherwise).
bool file_identity(const std::string& path, FileIdentity& out);

}  // namespace attn::app
