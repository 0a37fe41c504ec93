#include "attn/model_cache.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "attn/errors.h"
#include "attn/tensor_table.h"
#include "model_file.h"
#include "weights_binder.h"

namespace fs = std::filesystem;

namespace attn {
namespace {

constexpr char kMagic[8] = {'A', 'T', 'T', 'N', 'C', 'A', 'C', 'H'};
// 5: the v2 fields (format 2's config, wrap, [CLS]/[SEP], metadata.source) and the full file stamp (device,
// inode, size, mtime, ctime), each of which had made its own version 4. 6: the whole metadata (bounded) in place
// of metadata.source.
constexpr uint32_t kCacheVersion = 6;  // bump whenever the layout below or the meaning of a model field changes

// 64-bit multiply-xor hash over 8-byte words: cheap enough for megabytes at every load, and any flipped bit
// changes it. It guards against damage, not against forgery: that is what the ownership checks are for.
uint64_t checksum(const char* data, size_t size) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    h = (h ^ word) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  for (; i < size; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 29);
}

class Writer {
 public:
  template <typename T>
  void pod(const T& value) {
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void string(const std::string& s) {
    pod(static_cast<uint64_t>(s.size()));
    bytes_.append(s);
  }
  void floats(const float* data, size_t count) {
    pod(static_cast<uint64_t>(count));
    if (count > 0) bytes_.append(reinterpret_cast<const char*>(data), count * sizeof(float));
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Reads what Writer wrote; any overrun marks the entry bad instead of reading past the buffer.
class Reader {
 public:
  Reader(const char* data, size_t size) : data_(data), size_(size) {}
  template <typename T>
  T pod() {
    T value{};
    if (take(sizeof value)) std::memcpy(&value, data_ + pos_ - sizeof value, sizeof value);
    return value;
  }
  std::string string() {
    const auto n = pod<uint64_t>();
    if (!take(n)) return {};
    return std::string(data_ + pos_ - n, n);
  }
  std::vector<float> floats(size_t expected) {
    const auto n = pod<uint64_t>();
    if (n != expected) ok_ = false;
    if (!ok_ || !take(n * sizeof(float))) return {};
    // Built from the range rather than zero-filled and then copied over: filling the tensors is the start-up.
    const auto* first = reinterpret_cast<const float*>(data_ + pos_ - n * sizeof(float));
    return std::vector<float>(first, first + n);
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == size_; }

 private:
  bool take(uint64_t n) {
    if (!ok_ || n > size_ - pos_) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string default_cache_dir() {
  if (const char* dir = std::getenv("ATTN_CACHE_DIR"); dir != nullptr) return dir;  // "" disables the cache
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') return std::string(xdg) + "/attn";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return std::string(home) + "/.cache/attn";
  return "";
}

std::string cache_path_for(const std::string& json_path, const std::string& cache_dir) {
  std::error_code ec;
  const std::string absolute = fs::weakly_canonical(fs::absolute(json_path, ec), ec).string();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(checksum(absolute.data(), absolute.size())));
  return (fs::path(cache_dir) / (fs::path(json_path).stem().string() + "-" + hex + ".attncache")).string();
}

namespace {

// Blocks every signal that can be blocked while it lives: an interruption while a temporary file exists in the
// cache would leave it there (the handler may end the process at once); it is delivered when this ends.
class SignalsDeferred {
 public:
  SignalsDeferred() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved_);
  }
  ~SignalsDeferred() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalsDeferred(const SignalsDeferred&) = delete;
  SignalsDeferred& operator=(const SignalsDeferred&) = delete;

 private:
  sigset_t saved_;
};

void write_entry(const Model& model, const FileStamp& stamp, const std::string& path) {
  Writer out;
  out.bytes().append(kMagic, sizeof kMagic);
  out.pod(kCacheVersion);
  out.pod(stamp);
  const ModelConfig& c = model.config();
  out.pod(c);  // a trivially copyable struct of ints, a float, enums and a bool
  const TokenizerConfig& tc = model.tokenizer().config();
  out.pod(static_cast<uint8_t>(tc.lowercase));
  out.pod(static_cast<uint8_t>(tc.strip_accents));
  out.pod(static_cast<uint8_t>(tc.split_cjk));
  out.pod(static_cast<int32_t>(tc.max_word_chars));
  out.string(tc.continuation_prefix);
  out.string(tc.pad_token);
  out.string(tc.unk_token);
  out.pod(static_cast<uint8_t>(tc.wrap));
  out.string(tc.cls_token);
  out.string(tc.sep_token);
  out.pod(static_cast<int32_t>(model.file_info().format_version));
  out.string(model.file_info().metadata_json);
  for (size_t i = 0; i < model.tokenizer().vocab_size(); ++i) out.string(model.tokenizer().token(static_cast<int32_t>(i)));
  for (const auto& label : model.labels()) out.string(label);
  // Each tensor of the table with its name and shape, so that reading it back goes through the same binder and
  // checks as a model file.
  const std::vector<TensorView> tensors = tensor_table(c, model.weights());
  out.pod(static_cast<uint64_t>(tensors.size()));
  for (const TensorView& tensor : tensors) {
    out.string(tensor.name);
    out.pod(static_cast<uint64_t>(tensor.shape.size()));
    for (int64_t dim : tensor.shape) out.pod(dim);
    out.floats(tensor.data, static_cast<size_t>(tensor.elements()));
  }
  out.pod(checksum(out.bytes().data(), out.bytes().size()));

  const SignalsDeferred deferred;
  std::string temp = path + ".tmp-XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) throw IoError(path + ": cannot create (" + std::strerror(errno) + ")");
  const std::string& bytes = out.bytes();
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == bytes.size() && ::close(fd) == 0;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    throw IoError(path + ": cannot write (" + reason + ")");
  }
}

}  // namespace

void write_model_cache(const Model& model, const std::string& json_path, const std::string& path) {
  const auto stamp = stamp_of(json_path);
  if (!stamp) throw IoError(json_path + ": not a regular file");
  write_entry(model, *stamp, path);
}

namespace {

std::optional<Model> read_entry(const FileStamp& stamp, const std::string& json_path, const std::string& path) {
  // The entry is mapped, not read into a zero-filled buffer: it is read at every start, where copying a few
  // megabytes and clearing their pages would dominate a one-sentence run. Only a regular file that this user
  // owns and no one else may write is an entry (README, "The model cache"); opening never follows a link nor
  // waits for a FIFO's writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_uid != ::geteuid() ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || static_cast<uint64_t>(st.st_size) > kMaxModelFileBytes) {
    ::close(fd);
    return std::nullopt;
  }
  const auto size = static_cast<size_t>(st.st_size);
  void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) return std::nullopt;
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { ::munmap(p, n); }
  } unmap{mapped, size};
  const std::string_view bytes(static_cast<const char*>(mapped), size);
  if (bytes.size() < sizeof kMagic + sizeof(uint64_t) || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return std::nullopt;
  }
  const size_t body = bytes.size() - sizeof(uint64_t);
  uint64_t stored_checksum;
  std::memcpy(&stored_checksum, bytes.data() + body, sizeof stored_checksum);
  if (checksum(bytes.data(), body) != stored_checksum) return std::nullopt;

  Reader r(bytes.data() + sizeof kMagic, body - sizeof kMagic);
  if (r.pod<uint32_t>() != kCacheVersion) return std::nullopt;
  if (!(r.pod<FileStamp>() == stamp)) return std::nullopt;
  const auto config = r.pod<ModelConfig>();
  TokenizerConfig tc;
  tc.lowercase = r.pod<uint8_t>() != 0;
  tc.strip_accents = r.pod<uint8_t>() != 0;
  tc.split_cjk = r.pod<uint8_t>() != 0;
  tc.max_word_chars = r.pod<int32_t>();
  tc.continuation_prefix = r.string();
  tc.pad_token = r.string();
  tc.unk_token = r.string();
  const auto wrap = r.pod<uint8_t>();
  tc.wrap = wrap == 1 ? Wrap::ClsSep : Wrap::None;
  tc.cls_token = r.string();
  tc.sep_token = r.string();
  ModelFileInfo file_info;
  file_info.format_version = r.pod<int32_t>();
  file_info.metadata_json = r.string();
  if (!r.ok() || wrap > 1 || file_info.format_version < 1 || file_info.format_version > kFormatVersion ||
      config.vocab_size <= 0 || config.vocab_size > kMaxDimension || config.num_labels <= 0 ||
      config.num_labels > kMaxDimension || config.num_layers <= 0 || config.num_layers > kMaxDimension ||
      config.d_model <= 0 || config.ffn_dim <= 0 || config.max_length <= 0 || config.num_heads <= 0 ||
      config.d_model % config.num_heads != 0 || config.embedding_dim < 0 || config.embedding_dim > kMaxDimension) {
    return std::nullopt;
  }
  std::vector<std::string> vocab(static_cast<size_t>(config.vocab_size));
  for (auto& token : vocab) token = r.string();
  std::vector<std::string> labels(static_cast<size_t>(config.num_labels));
  for (auto& label : labels) label = r.string();
  try {
    // The tensors go through the binder as a model file's do; the tokenizer checks its vocabulary again.
    WeightsBinder binder(config, path);
    const auto count = r.pod<uint64_t>();
    for (uint64_t i = 0; i < count && r.ok(); ++i) {
      const std::string where = "tensor " + std::to_string(i);
      const size_t entry = binder.find(r.string(), where);
      std::vector<int64_t> shape(std::min<uint64_t>(r.pod<uint64_t>(), 8));
      for (auto& dim : shape) dim = r.pod<int64_t>();
      binder.fill(entry, shape, where, [&](std::vector<float>& out, size_t expected) { out = r.floats(expected); });
    }
    ModelWeights weights = binder.finish("tensors");
    if (!r.ok() || !r.at_end()) return std::nullopt;
    return Model(json_path, config, Tokenizer(tc, std::move(vocab)), std::move(labels), std::move(weights),
                 std::move(file_info));
  } catch (const ModelError&) {
    return std::nullopt;
  }
}

// Whether cache_dir may be used: a directory that this user owns and no one else may write (a shared one would
// let another user's entry decide this user's answers: `refused` says so). A missing one is created so; one
// that cannot be created or examined is a `problem`.
bool usable_cache_dir(const std::string& cache_dir, CacheOutcome& o) {
  std::error_code ec;
  if (!fs::exists(cache_dir, ec)) {
    fs::create_directories(cache_dir, ec);
    ::chmod(cache_dir.c_str(), 0700);
  }
  struct stat st {};
  if (::stat(cache_dir.c_str(), &st) != 0) {
    o.problem = cache_dir + ": cannot be the model cache (" + std::strerror(errno) + ")";
  } else if (!S_ISDIR(st.st_mode)) {
    o.problem = cache_dir + ": cannot be the model cache (not a directory)";
  } else if (st.st_uid != ::geteuid()) {
    o.refused = cache_dir + ": not used as the model cache: another user owns it";
  } else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    o.refused = cache_dir + ": not used as the model cache: other users may write to it";
  }
  return o.problem.empty() && o.refused.empty();
}

}  // namespace

std::optional<Model> read_model_cache(const std::string& json_path, const std::string& path) {
  const auto stamp = stamp_of(json_path);
  if (!stamp) return std::nullopt;
  return read_entry(*stamp, json_path, path);
}


Model load_model_cached(const std::string& json_path, const std::string& cache_dir, CacheOutcome* outcome) {
  CacheOutcome local;
  CacheOutcome& o = outcome != nullptr ? *outcome : local;
  if (cache_dir.empty()) return Model::load(json_path);
  // One descriptor for the stamp, the entry's check and the bytes parsed, so that they are of one file.
  ModelFile file(json_path);
  const std::optional<FileStamp> stamp = file.stamp();
  if (!stamp) {
    o.problem = json_path + ": not a regular file, so not cached";
    return Model::parse(file.read_all(), json_path);
  }
  if (!usable_cache_dir(cache_dir, o)) return Model::parse(file.read_all(), json_path);
  o.entry = cache_path_for(json_path, cache_dir);
  if (auto cached = read_entry(*stamp, json_path, o.entry)) {
    o.hit = true;
    return std::move(*cached);
  }
  Model model = Model::parse(file.read_all(), json_path);
  const std::optional<FileStamp> after = file.stamp();
  if (!after || !(*after == *stamp)) {
    o.problem = json_path + ": changed while it was read";
  } else if (!ModelFile::settled(*stamp)) {
    o.problem = json_path + ": changed within the last second; cached on a later run";
  } else {
    try {
      write_entry(model, *stamp, o.entry);
    } catch (const IoError& e) {
      o.problem = e.what();
    }
  }
  return model;
}

}  // namespace attn
