// Fuzz target: bytes from a Redis server → corio::redis::resp_parser, the parser the client reads
// every reply with. The first input byte picks the chunk size the rest is given in (1..16 bytes,
// or whole) and tight limits (so that large claims are cheap to reach); the rest is the stream.
//
// Checked, besides "no crash, no sanitizer report, no hang": the parser either returns replies or
// throws corio::redis::error with errc::protocol (any other exception escapes and is reported as
// a crash); the stream given whole and given in chunks gives the same replies and the same
// outcome; every reply respects the limits and renders (reply::to_string).
#include <corio/redis/error.hpp>
#include <corio/redis/reply.hpp>
#include <corio/redis/resp.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redis = corio::redis;

namespace {

struct outcome {
  std::vector<redis::reply> replies;
  bool failed = false;
};

/// Gives `in` to a parser `chunk` bytes at a time (0: whole), keeping unconsumed bytes as the
/// client's reader does.
outcome run(std::string_view in, std::size_t chunk, const redis::parser_limits& limits) {
  outcome out;
  redis::resp_parser p(limits);
  std::string pending;
  std::size_t fed = 0;
  try {
    while (fed < in.size()) {
      const std::size_t n = chunk == 0 ? in.size() : std::min(chunk, in.size() - fed);
      pending.append(in.substr(fed, n));
      fed += n;
      for (;;) {
        std::optional<redis::reply> r;
        const std::size_t used = p.parse(pending, r);
        if (used > pending.size()) std::abort();
        pending.erase(0, used);
        if (!r) break;
        out.replies.push_back(std::move(*r));
      }
      // Only a partial line is ever left over: at most the line limit, and its CR.
      if (pending.size() > limits.max_line_bytes + 1) std::abort();
    }
  } catch (const redis::error& e) {
    if (e.kind() != redis::errc::protocol) std::abort();
    out.failed = true;
  }
  return out;
}

std::size_t depth_and_check(const redis::reply& r, const redis::parser_limits& limits) {
  if (r.is_string() && r.as_string().size() > limits.max_bulk_bytes) std::abort();
  if (!r.is_array()) return 0;
  if (r.size() > limits.max_elements) std::abort();
  std::size_t d = 0;
  for (const auto& e : r.as_array()) d = std::max(d, depth_and_check(e, limits));
  return d + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  redis::parser_limits limits;
  limits.max_line_bytes = 64 + (mode & 0x3f);
  limits.max_bulk_bytes = 4096;
  limits.max_elements = 256;
  limits.max_depth = 8;
  const std::size_t chunk = (mode >> 4) & 0x0f;  // 0: whole

  const outcome whole = run(in, 0, limits);
  const outcome chunked = run(in, chunk == 0 ? 1 : chunk, limits);
  if (whole.failed != chunked.failed || whole.replies != chunked.replies) {
    std::fprintf(stderr, "whole and chunked parses differ\n");
    std::abort();
  }
  for (const auto& r : whole.replies) {
    if (depth_and_check(r, limits) > limits.max_depth + 1) std::abort();
    (void)r.to_string();
  }
  return 0;
}
