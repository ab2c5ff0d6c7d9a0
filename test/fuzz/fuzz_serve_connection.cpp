// Fuzz target 1: bytes → corio-serve's connection handler (request parsing, every limit,
// keep-alive and pipelining, routing into the real endpoints). One app with the real endpoints
// and one corio::testing::test_loop (virtual time: the server's timeouts cost no real time) serve
// every input. Per input: a shard of that app runs, adopts one end of a connected socket pair as
// an accepted connection, the input is sent from the other end, which is then half-closed, and
// what comes back is read until the server closes (at most 10 s of virtual time: streaming
// endpoints never end on their own, and ten of /api/events' one-a-second events show as much as
// sixty); then the shard shuts down gracefully.
// (/debug/tasks is enabled, and the peer is not a loopback TCP address: it answers 403 here.)
//
// Checked, besides "no crash, no sanitizer report, no hang": whatever the server sent is a
// sequence of well-formed HTTP/1.1 responses (Beast's parser accepts each), and the shard shuts
// down cleanly afterwards, leaving no task behind.
#include "serve_fuzzing.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;

/// Aborts unless `bytes` is a sequence of HTTP/1.1 responses (the last one may be open: a stream
/// that ran out of time). Answers to HEAD have no body despite their Content-Length, so after one
/// the boundaries are unknown: inputs with a HEAD request are checked up to the first error only.
void check_responses(std::string_view bytes, bool has_head) {
  while (!bytes.empty()) {
    http::response_parser<http::string_body> p;
    p.eager(true);
    p.body_limit(64 << 20);
    beast::error_code ec;
    const auto used = p.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == http::error::need_more) return;  // a stream still open (SSE) or a body in flight
    if (ec && has_head) return;
    if (ec) {
      std::fprintf(stderr, "server sent something that is not an HTTP response: %s\n", ec.message().c_str());
      std::abort();
    }
    if (!p.is_done()) return;
    if (p.get().result_int() == 101) return;  // switched protocols (WebSocket): frames follow
    bytes.remove_prefix(used);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzzing::serve_one_connection([input](fuzzing::peer& p) -> corio::awaitable<void> {
    co_await p.write(input);
    p.close_sending();
    const auto received = co_await p.read_all(std::chrono::seconds(10));
    check_responses(received, input.find("HEAD") != std::string_view::npos);
  });
  return 0;
}
