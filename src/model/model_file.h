#pragma once
// A model file read once through one descriptor, with the stamp of the very file its bytes came from: a file
// replaced (mv) or rewritten while it is read must never pair its new stamp with the old content in the cache.
// Private to the model layer (the JSON reader and the binary cache).
#include <cstdint>
#include <optional>
#include <string>

namespace attn {

// The largest model file attn reads (docs/model-format.md): checked before reading, and while reading what
// has no size (a FIFO), so that a huge or endless file is refused at once.
constexpr uint64_t kMaxModelFileBytes = uint64_t{1} << 30;

// What identifies a file's content without reading it: device and inode (which file), size, and the
// modification and change times (ctime moves on every write, even one that sets mtime back, as cp -p does).
struct FileStamp {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileStamp& o) const {
    return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
  }
};

// The stamp of the regular file at path, or nothing (missing, not a regular file).
std::optional<FileStamp> stamp_of(const std::string& path);

class ModelFile {
 public:
  explicit ModelFile(const std::string& path);  // throws ModelError: missing, a directory, unreadable
  ~ModelFile();
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;

  // The stamp of the open file as it is now; nothing unless it is a regular file.
  std::optional<FileStamp> stamp() const;
  // Every byte, at most kMaxModelFileBytes; throws ModelError.
  std::string read_all();
  // True when the file's timestamps are old enough that a later write must change them: timestamps advance by
  // clock ticks (a second on some file systems), so a write within the tick of the last one may leave the stamp
  // as it is.
  static bool settled(const FileStamp& stamp);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace attn
