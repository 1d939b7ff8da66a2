// write_file_atomic and save_notebook's file handling (write.hpp): the output notebook is
// replaced in one rename, so a reader, a crash or a full disk never leaves a truncated notebook
// behind.
#include <nbexec/error.hpp>
#include <nbexec/notebook/notebook.hpp>
#include <nbexec/notebook/write.hpp>

#include "atomic_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace nbexec::notebook {

namespace fs = std::filesystem;

namespace {

std::string os_reason(int error) {
  return std::generic_category().message(error);
}

// Returns 0 or the errno of the failed write.
int write_all(int fd, std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

// Removes the temporary file unless the rename consumed it.
class TempFile {
 public:
  TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void release() { path_.clear(); }

 private:
  std::string path_;
  int fd_;
};

// A new file next to `target`, created with mode 0666 so that the umask (and any default
// ACL) applies exactly as for a file the user's tools would create.
TempFile create_temp_next_to(const fs::path& target, const std::string& name) {
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::string base = target.filename().string();
  if (base.size() > 200) base.resize(200);  // stay under NAME_MAX with the suffix
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string path = (dir / ("." + base + "." + new_cell_id() + ".tmp")).string();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return TempFile(path, fd);
    if (errno != EEXIST)
      throw NotebookError("cannot write " + name + ": cannot create a temporary file in " +
                          dir.string() + ": " + os_reason(errno));
  }
  throw NotebookError("cannot write " + name + ": no free temporary file name in " + dir.string());
}

// Devices and FIFOs (e.g. /dev/stdout) cannot be renamed over; they are written in place.
void write_in_place(const fs::path& target, std::string_view text, const std::string& name) {
  const int fd = ::open(target.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) throw NotebookError("cannot write " + name + ": " + os_reason(errno));
  const int error = write_all(fd, text);
  const int close_rc = ::close(fd);
  if (error != 0) throw NotebookError("cannot write " + name + ": " + os_reason(error));
  if (close_rc != 0) throw NotebookError("cannot write " + name + ": " + os_reason(errno));
}

void sync_directory(const fs::path& target) {
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // durability of the rename is best effort; the data itself is synced
  ::fsync(fd);
  ::close(fd);
}

std::string gather(const std::function<void(detail::JsonSink&)>& produce) {
  detail::JsonSink sink;
  produce(sink);
  return sink.take();
}

// Bytes are written in chunks of this size: large enough that write(2) calls cost nothing,
// small enough to stay out of the peak memory of a save.
constexpr std::size_t chunk_size = std::size_t{1} << 20;

}  // namespace

namespace detail {

std::size_t write_atomically(const fs::path& path, Durability durability,
                             const std::function<void(JsonSink&)>& produce) {
  if (path == "-") {
    const std::string text = gather(produce);
    std::fflush(stdout);
    if (const int error = write_all(STDOUT_FILENO, text); error != 0)
      throw NotebookError("cannot write <stdout>: " + os_reason(error));
    return text.size();
  }
  const std::string name = path.string();
  if (name.empty()) throw NotebookError("cannot write the notebook: empty output path");

  // Writing through a symbolic link updates the file it points to, as open("w") does; the
  // link itself stays.
  fs::path target = path;
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    const fs::path resolved = fs::weakly_canonical(path, ec);
    if (!ec) target = resolved;
  }

  struct stat existing {};
  const bool exists = ::stat(target.c_str(), &existing) == 0;
  if (exists && S_ISDIR(existing.st_mode))
    throw NotebookError("cannot write " + name + ": it is a directory");
  if (exists && !S_ISREG(existing.st_mode)) {
    const std::string text = gather(produce);
    write_in_place(target, text, name);
    return text.size();
  }

  TempFile temp = create_temp_next_to(target, name);
  const auto fail = [&](int error) {
    throw NotebookError("cannot write " + name + ": " + os_reason(error));
  };
  const bool durable = durability == Durability::durable;
  std::size_t written = 0;
  try {
    JsonSink sink(temp.fd(), chunk_size);
    produce(sink);
    sink.flush();
    written = sink.size();
  } catch (const SinkError& error) {
    fail(error.error());
  }
  if (exists) {
    // Keep what the replaced file had; ownership can only be kept by a privileged process.
    if (::fchmod(temp.fd(), existing.st_mode & 07777) != 0) fail(errno);
    if (::fchown(temp.fd(), existing.st_uid, existing.st_gid) != 0 && errno != EPERM) fail(errno);
  }
  if (durable && ::fsync(temp.fd()) != 0) fail(errno);
  if (temp.close() != 0) fail(errno);
  if (::rename(temp.path().c_str(), target.c_str()) != 0) fail(errno);
  temp.release();
  if (durable) sync_directory(target);
  return written;
}

}  // namespace detail

void write_file_atomic(const fs::path& path, std::string_view text, Durability durability) {
  detail::write_atomically(path, durability, [text](detail::JsonSink& sink) { sink += text; });
}

void write_file_atomic(const fs::path& path, const std::string& text) {
  write_file_atomic(path, std::string_view(text), Durability::durable);
}

}  // namespace nbexec::notebook
