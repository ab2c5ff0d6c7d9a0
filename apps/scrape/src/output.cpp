#include "scrape/output.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace scrape {

namespace {

std::size_t count_lines(std::string_view s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

void stream_sink::write(std::string_view lines) {
  out_.write(lines.data(), static_cast<std::streamsize>(lines.size()));
  out_.flush();
  if (!out_) throw write_error("cannot write " + name_, 0);
}

fd_sink::fd_sink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
  struct stat st {};
  regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
}

fd_sink fd_sink::open(const std::string& path, bool append) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot write " + path);
  fd_sink s(fd, path);
  s.owned_ = true;
  return s;
}

fd_sink::fd_sink(fd_sink&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), owned_(std::exchange(o.owned_, false)), regular_(o.regular_),
      name_(std::move(o.name_)) {}

fd_sink::~fd_sink() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

void fd_sink::write(std::string_view lines) {
  // Where this write starts: the end of the last whole line (every earlier write was whole lines
  // or was taken back). With O_APPEND the file offset says nothing until the first write.
  off_t start = -1;
  if (regular_) {
    if ((::fcntl(fd_, F_GETFL) & O_APPEND) != 0) {
      struct stat st {};
      if (::fstat(fd_, &st) == 0) start = st.st_size;
    } else {
      start = ::lseek(fd_, 0, SEEK_CUR);
    }
  }
  std::size_t done = 0;
  while (done < lines.size()) {
    const ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    const int err = n < 0 ? errno : ENOSPC;  // write() returning 0 for a non-empty buffer: no room
    if (n < 0 && err == EINTR) continue;
    const std::string_view written = lines.substr(0, done);
    const auto last_newline = written.rfind('\n');
    const std::size_t keep = last_newline == std::string_view::npos ? 0 : last_newline + 1;
    std::size_t whole = count_lines(written.substr(0, keep));
    std::string what = "cannot write " + name_ + ": " + std::strerror(err);
    if (keep < done) {
      if (regular_ && start >= 0 && ::ftruncate(fd_, start + static_cast<off_t>(keep)) == 0) {
        if ((::fcntl(fd_, F_GETFL) & O_APPEND) == 0) (void)::lseek(fd_, start + static_cast<off_t>(keep), SEEK_SET);
      } else {
        what += regular_ ? " (and the cut line could not be removed)" : " (a line was cut short)";
      }
    }
    throw write_error(what, whole);
  }
}

}  // namespace scrape
