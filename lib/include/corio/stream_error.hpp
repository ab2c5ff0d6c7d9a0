// corio/stream_error.hpp — the errors of Corio's buffered byte streams (tcp_stream, the pipes of a
// child process): asyncio's LimitOverrunError and IncompleteReadError.
//
// Cancellation: not applicable (types only).
// Exceptions: not applicable.
// Thread safety: plain values.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace corio {

/// read_until / read_line: no delimiter within `max` bytes (asyncio's LimitOverrunError). Nothing
/// was consumed: `buffered()` bytes wait in the stream.
class limit_overrun_error : public std::runtime_error {
public:
  limit_overrun_error(std::size_t max, std::size_t buffered);
  [[nodiscard]] std::size_t max() const noexcept { return max_; }
  [[nodiscard]] std::size_t buffered() const noexcept { return buffered_; }

private:
  std::size_t max_, buffered_;
};

/// read_exactly / read_until: end of stream first (asyncio's IncompleteReadError). The partial
/// data was consumed and is here; `expected()` is n for read_exactly, 0 (unknown) for read_until.
class incomplete_read_error : public std::runtime_error {
public:
  incomplete_read_error(std::string partial, std::size_t expected);
  [[nodiscard]] const std::string& partial() const noexcept { return partial_; }
  [[nodiscard]] std::size_t expected() const noexcept { return expected_; }

private:
  std::string partial_;
  std::size_t expected_;
};

}  // namespace corio
