#include "output_target.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "attn/errors.h"

namespace attn::app {
namespace {

// As the kernel's own limit on links followed in one lookup.
constexpr int kMaxLinks = 40;

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// N when `path` is an entry of this process's descriptor directory (/proc/self/fd/N, which /dev/fd/N and
// /dev/stdout lead to): following that link would reopen the file from its start, or replace it, where the
// shell's redirection expects writing to go on where the descriptor stands.
int own_descriptor(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(directory_of(path).c_str(), resolved) == nullptr) return -1;
  const std::string process = "/proc/" + std::to_string(::getpid());
  const std::string dir = resolved;
  const bool thread =
      dir.rfind(process + "/task/", 0) == 0 && dir.size() > 3 && dir.compare(dir.size() - 3, 3, "/fd") == 0;
  if (dir != process + "/fd" && !thread) return -1;
  const std::string name = path.substr(path.rfind('/') + 1);
  if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::atoi(name.c_str());
}

std::string reason() { return std::strerror(errno); }

}  // namespace

OutputTarget resolve_output(const std::string& path) {
  OutputTarget target;
  std::string current = path;
  for (int links = 0;; ++links) {
    if (const int fd = own_descriptor(current); fd >= 0) {
      target.kind = OutputTarget::Kind::Descriptor;
      target.path = path;
      target.descriptor = fd;
      return target;
    }
    struct stat entry {};
    if (::lstat(current.c_str(), &entry) != 0) {
      if (errno != ENOENT) throw IoError(path + ": cannot open for writing (" + reason() + ")");
      target.path = current;  // a new file (perhaps the one a dangling link names)
      return target;
    }
    if (!S_ISLNK(entry.st_mode)) {
      target.path = current;
      if (!S_ISREG(entry.st_mode)) {
        target.kind = OutputTarget::Kind::InPlace;
        return target;
      }
      // Replacing a file does not need write permission on it, only on its directory; the shell's `>` refuses
      // a file the user may not write, and so does attn.
      if (::faccessat(AT_FDCWD, current.c_str(), W_OK, AT_EACCESS) != 0) {
        throw IoError(path + ": cannot open for writing (" + reason() + ")");
      }
      target.exists = true;
      target.existing = entry;
      target.kind = entry.st_nlink > 1 ? OutputTarget::Kind::CopyIn : OutputTarget::Kind::Replace;
      return target;
    }
    if (links >= kMaxLinks) throw IoError(path + ": cannot open for writing (" + std::strerror(ELOOP) + ")");
    std::string link(static_cast<size_t>(entry.st_size > 0 ? entry.st_size : PATH_MAX) + 1, '\0');
    const ssize_t n = ::readlink(current.c_str(), link.data(), link.size());
    if (n < 0) throw IoError(path + ": cannot open for writing (" + reason() + ")");
    link.resize(static_cast<size_t>(n));
    current = link.front() == '/' ? link : directory_of(current) + "/" + link;
  }
}

bool file_identity(const std::string& path, FileIdentity& out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  out = {st.st_dev, st.st_ino, ""};
  return true;
}

bool output_identity(const std::string& path, FileIdentity& out) {
  OutputTarget target;
  try {
    target = resolve_output(path);
  } catch (const IoError&) {
    return false;  // opening it will report the problem
  }
  struct stat st {};
  if (target.kind == OutputTarget::Kind::Descriptor) {
    if (::fstat(target.descriptor, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    out = {st.st_dev, st.st_ino, ""};
    return true;
  }
  if (target.kind == OutputTarget::Kind::InPlace) return false;
  if (target.exists) {
    out = {target.existing.st_dev, target.existing.st_ino, ""};
    return true;
  }
  // A file yet to be created: its directory and its name.
  if (::stat(directory_of(target.path).c_str(), &st) != 0) return false;
  out = {st.st_dev, st.st_ino, target.path.substr(target.path.rfind('/') + 1)};
  return true;
}

}  // namespace attn::app
