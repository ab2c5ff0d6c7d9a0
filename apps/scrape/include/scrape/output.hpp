// scrape/output.hpp — where corio-scrape's lines go: the JSON Lines output and the crawl journal.
//
// A sink takes whole lines and either writes all of them or throws write_error saying how many of
// them did reach the file. fd_sink writes with write(2), checked: on a failure (disk full, a file
// size limit, EPIPE from a closed pipe, an I/O error) a regular file is truncated back to the end
// of the last whole line, so it never ends in a torn line. A pipe cannot be taken back: a line cut
// by a failed write stays cut there (the reader is usually gone).
//
// Cancellation: not applicable (blocking writes).  Exceptions: write_error, std::bad_alloc.
// Thread safety: a sink is used by one thread at a time.
#pragma once

#include <cstddef>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scrape {

/// A write that failed. lines_written() of the lines given to that write reached the output.
class write_error : public std::runtime_error {
public:
  write_error(const std::string& what, std::size_t lines_written)
      : std::runtime_error(what), lines_written_(lines_written) {}
  [[nodiscard]] std::size_t lines_written() const noexcept { return lines_written_; }

private:
  std::size_t lines_written_;
};

class sink {
public:
  virtual ~sink() = default;
  /// Writes `lines` (each ending with '\n'). Throws write_error.
  virtual void write(std::string_view lines) = 0;
  /// How the output is named in messages ("out.jsonl", "stdout").
  [[nodiscard]] virtual std::string name() const = 0;
};

/// A std::ostream (tests, embedding): a stream in a failed state after write + flush is a failure
/// in which no line counts as written.
class stream_sink final : public sink {
public:
  explicit stream_sink(std::ostream& out, std::string name = "output") : out_(out), name_(std::move(name)) {}
  void write(std::string_view lines) override;
  [[nodiscard]] std::string name() const override { return name_; }

private:
  std::ostream& out_;
  std::string name_;
};

/// A file descriptor (not owned unless opened by open()).
class fd_sink final : public sink {
public:
  fd_sink(int fd, std::string name);
  /// Opens `path` for writing: truncated, or appended to. Throws std::system_error.
  static fd_sink open(const std::string& path, bool append);
  fd_sink(fd_sink&& o) noexcept;
  fd_sink& operator=(fd_sink&&) = delete;
  ~fd_sink() override;

  void write(std::string_view lines) override;
  [[nodiscard]] std::string name() const override { return name_; }
  [[nodiscard]] bool regular_file() const noexcept { return regular_; }

private:
  int fd_;
  bool owned_ = false;
  bool regular_ = false;
  std::string name_;
};

}  // namespace scrape
