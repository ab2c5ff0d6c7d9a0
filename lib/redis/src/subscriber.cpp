#include <corio/redis/subscriber.hpp>

#include <corio/redis/command.hpp>
#include <corio/redis/error.hpp>
#include <corio/redis/reply.hpp>

#include <corio/cancellation.hpp>
#include <corio/sleep.hpp>
#include <corio/stream.hpp>
#include <corio/timeout.hpp>

#include <algorithm>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

namespace corio::redis {

namespace {

/// What a handler threw, carried past run()'s reconnection loop (not a std::exception on purpose).
struct handler_failure {
  std::exception_ptr e;
};

template <typename F>
void call_handler(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (...) {
    throw handler_failure{std::current_exception()};
  }
}

}  // namespace

subscriber::subscriber(const std::string& url, std::vector<std::string> channels, subscriber_options opts)
    : addr_(parse_url(url)), channels_(std::move(channels)), opts_(opts) {
  if (channels_.empty()) throw std::invalid_argument("corio::redis::subscriber: no channel to subscribe to");
}

awaitable<void> subscriber::run(message_handler on_message, state_handler on_state) {
  duration delay = opts_.reconnect_delay;
  for (;;) {
    std::string why;
    std::exception_ptr handler_threw;
    try {
      co_await session(on_message, on_state, delay);
    } catch (const handler_failure& h) {
      handler_threw = h.e;
    } catch (const error& e) {
      if (e.kind() == errc::auth) throw;
      why = e.what();
    } catch (const std::exception& e) {
      if (corio::is_cancellation(e)) throw;
      why = e.what();
    }
    if (handler_threw) std::rethrow_exception(handler_threw);
    if (on_state) on_state(false, why);
    co_await corio::sleep(delay);
    delay = std::min(delay * 2, opts_.max_reconnect_delay);
  }
}

awaitable<void> subscriber::session(const message_handler& on_message, const state_handler& on_state,
                                    duration& delay) {
  const std::string where = addr_.to_string();
  connect_options copts;
  copts.timeout = opts_.connect_timeout;
  tcp_stream s = co_await open_tcp(addr_.host, addr_.port, copts);
  ++connects_;
  std::string out;
  const bool auth = !addr_.password.empty();
  if (auth) {
    command a("AUTH");
    if (!addr_.user.empty()) a.arg(addr_.user);
    a.arg(addr_.password);
    a.encode_to(out);
  }
  command sub("SUBSCRIBE");
  sub.args(channels_);
  sub.encode_to(out);
  co_await s.write(out);

  const std::string ping = command("PING").encoded();
  resp_parser parser(opts_.limits);
  bool auth_pending = auth;
  std::size_t confirmed = 0;
  auto handle = [&](reply r) {
    if (auth_pending) {
      auth_pending = false;
      if (r.is_error()) throw error(errc::auth, r.error_message() + " (AUTH on " + where + ")");
      return;
    }
    if (r.is_error()) throw reply_error(r.error_message() + " (from " + where + ")");
    if (!r.is_array() || r.size() < 2 || !r[0].is_string()) {
      throw error(errc::protocol, "not a pub/sub message from " + where);
    }
    const std::string& kind = r[0].as_string();
    if (kind == "message" && r.size() == 3 && r[1].is_string() && r[2].is_string()) {
      auto parts = std::move(r).as_array();
      call_handler([&] { on_message(parts[1].as_string(), std::move(parts[2]).as_string()); });
    } else if (kind == "subscribe") {
      if (++confirmed == channels_.size()) {
        delay = opts_.reconnect_delay;  // a working connection: the next loss starts over
        if (on_state) call_handler([&] { on_state(true, ""); });
      }
    } else if (kind != "pong") {
      throw error(errc::protocol, "unexpected '" + kind + "' from " + where);
    }
  };

  auto last_byte = corio::clock::now();
  std::string pending;  // bytes read and not consumed by the parser yet
  for (;;) {
    std::string chunk;
    bool silent = false;
    try {
      chunk = co_await corio::wait_for(s.read_some(65536), opts_.ping_interval);
    } catch (const corio::timeout_error&) {
      silent = true;  // (a cancelled read takes nothing from the socket)
    }
    const auto now = corio::clock::now();
    if (!silent && chunk.empty()) throw error(errc::connection, "connection to " + where + " closed by the server");
    if (silent) {
      if (now - last_byte >= opts_.stall_timeout) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(opts_.stall_timeout).count();
        throw error(errc::timeout, "no byte from " + where + " for " + std::to_string(ms) + " ms");
      }
      co_await s.write(ping);
      continue;
    }
    last_byte = now;
    // The parser leaves an incomplete line (or a bulk string's CRLF) unconsumed: keep it for the
    // next read, as a reply may be cut anywhere between two reads.
    pending += chunk;
    std::string_view in = pending;
    for (;;) {
      std::optional<reply> r;
      const std::size_t used = parser.parse(in, r);  // error(errc::protocol) for bytes that are not RESP2
      in.remove_prefix(used);
      if (r) handle(std::move(*r));
      else if (used == 0 || in.empty()) break;
    }
    pending.erase(0, pending.size() - in.size());
  }
}

}  // namespace corio::redis
