#include <serve/chat.hpp>

#include <serve/app.hpp>
#include <serve/chat_relay.hpp>
#include <serve/ws_frame_limit.hpp>

#include <corio/gather.hpp>
#include <corio/run.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/locale/utf.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>

namespace serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr auto as_tuple = asio::as_tuple(asio::deferred);

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

chat_hub::message make_event(std::string_view type, std::string_view name, std::size_t members, std::int64_t ts) {
  boost::json::object o;
  o["type"] = type;
  o["name"] = name;
  o["members"] = members;
  o["ts"] = ts;
  return std::make_shared<const std::string>(boost::json::serialize(o));
}

chat_hub::message make_message(std::string_view from, std::string_view text) {
  boost::json::object o;
  o["type"] = "message";
  o["from"] = from;
  o["text"] = text;
  o["ts"] = unix_ms();
  return std::make_shared<const std::string>(boost::json::serialize(o));
}

using utf8 = boost::locale::utf::utf_traits<char>;

/// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, ≤ U+10FFFF).
bool valid_utf8(std::string_view s) {
  const char* p = s.data();
  const char* const end = s.data() + s.size();
  while (p != end) {
    const auto c = utf8::decode(p, end);
    if (c == boost::locale::utf::illegal || c == boost::locale::utf::incomplete) return false;
  }
  return true;
}

/// `s` as well-formed UTF-8 of at most `max_bytes`: a byte that starts no valid character becomes
/// U+FFFD, and the cut falls between characters.
std::string clean_utf8(std::string_view s, std::size_t max_bytes) {
  std::string out;
  const char* p = s.data();
  const char* const end = s.data() + s.size();
  while (p != end) {
    const char* const start = p;
    const auto c = utf8::decode(p, end);
    std::string_view piece(start, static_cast<std::size_t>(p - start));
    if (c == boost::locale::utf::illegal || c == boost::locale::utf::incomplete) {
      p = start + 1;
      piece = "\xEF\xBF\xBD";
    }
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
  }
  return out;
}

std::string member_name(const request_context& ctx) {
  static std::atomic<std::uint64_t> guests{0};
  // Sent to every member in text frames, which must be UTF-8: a name of other bytes would make
  // every browser in the room fail its connection.
  std::string name = clean_utf8(ctx.query_param("name").value_or(""), 32);
  for (char& c : name)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (name.find_first_not_of(' ') == std::string::npos) name = "guest-" + std::to_string(++guests);
  return name;
}

}  // namespace

chat_hub::chat_hub(std::chrono::milliseconds presence_interval) : presence_interval_(presence_interval) {}
chat_hub::~chat_hub() = default;

void chat_hub::set_shards(std::vector<corio::executor> shards) {
  shards_ = std::move(shards);
  rooms_.assign(shards_.size(), {});
}

void chat_hub::join(std::size_t shard, member& m) {
  rooms_.at(shard).push_back(&m);
  members_.fetch_add(1, std::memory_order_relaxed);
}

void chat_hub::leave(std::size_t shard, member& m) {
  auto& room = rooms_.at(shard);
  for (auto it = room.begin(); it != room.end(); ++it) {
    if (*it == &m) {
      room.erase(it);
      members_.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
}

void chat_hub::publish(message msg) {
  if (relay_) relay_(msg);
  deliver_here(msg);
}

void chat_hub::deliver_from_elsewhere(message msg) {
  relay_figures_.received.fetch_add(1, std::memory_order_relaxed);
  // Sent on in text frames: anything on the channel that is not UTF-8 (not from a corio-serve)
  // is dropped, not passed to the members' browsers to fail their connections.
  if (!valid_utf8(*msg)) {
    relay_figures_.dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  deliver_here(msg);
}

void chat_hub::deliver_here(const message& msg) {
  for (std::size_t k = 0; k < shards_.size(); ++k) {
    asio::post(shards_[k], [self = shared_from_this(), k, msg] { self->deliver(k, msg); });
  }
}

void chat_hub::announce(bool joined, std::string name) {
  if (shards_.empty()) return;
  asio::post(shards_[0], [self = shared_from_this(), p = presence{joined, std::move(name)}]() mutable {
    self->add_presence(std::move(p));
  });
}

void chat_hub::add_presence(presence p) {
  pending_.push_back(std::move(p));
  if (flush_armed_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_flush_ >= presence_interval_) {
    flush_presence();
    return;
  }
  flush_armed_ = true;
  auto timer = std::make_shared<asio::steady_timer>(shards_[0], last_flush_ + presence_interval_);
  timer->async_wait([self = shared_from_this(), timer](boost::system::error_code) {
    self->flush_armed_ = false;
    self->flush_presence();
  });
}

void chat_hub::flush_presence() {
  // The announcement is stamped when the interval is measured from, not after its event is built:
  // building a batch of 100 names takes a few milliseconds under a sanitizer, and a stamp taken
  // after it would put the next announcement's stamp less than one interval later.
  last_flush_ = std::chrono::steady_clock::now();
  const std::int64_t ts = unix_ms();
  if (pending_.empty()) return;
  std::vector<presence> batch;
  batch.swap(pending_);
  presence_events_.fetch_add(1, std::memory_order_relaxed);
  if (batch.size() == 1) {
    publish(make_event(batch[0].joined ? "join" : "leave", batch[0].name, members(), ts));
    return;
  }
  boost::json::object o;
  boost::json::array joined, left;
  std::size_t joined_count = 0, left_count = 0;
  for (const auto& p : batch) {
    auto& names = p.joined ? joined : left;
    ++(p.joined ? joined_count : left_count);
    if (names.size() < max_presence_names) names.emplace_back(p.name);
  }
  o["type"] = "presence";
  o["joined"] = std::move(joined);
  o["left"] = std::move(left);
  o["joined_count"] = joined_count;
  o["left_count"] = left_count;
  o["members"] = members();
  o["ts"] = ts;
  publish(std::make_shared<const std::string>(boost::json::serialize(o)));
}

void chat_hub::deliver(std::size_t shard, const message& msg) {
  for (member* m : rooms_[shard]) {
    if (m->too_slow || m->outbox.closed()) continue;
    if (!m->outbox.try_put(msg)) {
      // Full: this member cannot keep up. Disconnect it rather than stall the room or skip
      // messages silently (see the header comment).
      m->too_slow = true;
      m->outbox.close();
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

corio::awaitable<void> chat_session(chat_hub& hub, request_context& ctx, stream& s) {
  if (!websocket::is_upgrade(ctx.req)) {
    auto res = error(http::status::upgrade_required, "this is a WebSocket endpoint");
    res.set(http::field::upgrade, "websocket");
    res.set(http::field::connection, "Upgrade");
    co_await s.send(std::move(res), false);
    co_return;
  }
  const std::size_t shard = corio::this_shard();
  const corio::duration write_timeout = s.lim().write_timeout;

  websocket::stream<frame_limited_socket> ws(s.socket(), chat_hub::max_frames_per_message);
  ws.read_message_max(chat_hub::max_message_bytes);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& r) { r.set(http::field::server, "corio-serve"); }));
  // Idle members are pinged by Beast; stalled writes are the connection watchdog's job.
  websocket::stream_base::timeout t{};
  t.handshake_timeout = websocket::stream_base::none();
  t.idle_timeout = std::chrono::seconds(60);
  t.keep_alive_pings = true;
  ws.set_option(t);

  s.deadline_after(write_timeout);
  co_await ws.async_accept(ctx.req, asio::deferred);
  s.no_deadline();
  s.set_status(101);

  chat_hub::member me(member_name(ctx));
  hub.join(shard, me);
  struct leave_on_exit {
    chat_hub& hub;
    std::size_t shard;
    chat_hub::member& me;
    ~leave_on_exit() {
      hub.leave(shard, me);
      hub.announce(false, me.name);
    }
  } leaving{hub, shard, me};
  s.on_shutdown([&me] { me.outbox.close(); });
  hub.announce(true, me.name);

  bool not_utf8 = false;  // a text message that is not UTF-8: the connection fails (1007)
  auto reader = [&]() -> corio::awaitable<void> {
    // A message is read a piece at a time into a buffer of its own (async_read_some on a buffer
    // sequence, not async_read on a dynamic buffer): Beast 1.81's message-level read sizes each
    // next read from the current frame header, and the writer's async_close (a member dropped as
    // too slow) reads the next header into the same place while the reader is between fragments,
    // which fails an assertion. read_message_max applies to both.
    std::string text;
    std::array<char, 4096> piece;
    for (;;) {
      auto [ec, n] = co_await ws.async_read_some(asio::buffer(piece), as_tuple);
      if (ec) break;
      text.append(piece.data(), n);
      if (!ws.is_message_done()) continue;
      if (ws.got_text()) {
        // (Beast checks text messages as they arrive but lets one through whose last frame is an
        // empty continuation after a cut-off character: checked again here, whole.)
        if (!valid_utf8(text)) {
          not_utf8 = true;
          break;
        }
        hub.publish(make_message(me.name, text));
      }
      text.clear();
    }
    me.outbox.close();  // the writer sends what is queued, then ends
  };
  auto writer = [&]() -> corio::awaitable<void> {
    while (auto msg = co_await me.outbox.next()) {
      if (me.too_slow) break;
      s.deadline_after(write_timeout);
      auto [ec, n] = co_await ws.async_write(asio::buffer(**msg), as_tuple);
      s.no_deadline();
      if (ec) co_return;
    }
    if (!ws.is_open()) co_return;
    const websocket::close_reason why =
        me.too_slow      ? websocket::close_reason(websocket::close_code::policy_error, "too slow")
        : not_utf8       ? websocket::close_reason(websocket::close_code::bad_payload, "text is not UTF-8")
        : s.shutting_down() ? websocket::close_reason(websocket::close_code::going_away)
                            : websocket::close_reason(websocket::close_code::normal);
    // The peer answers the close frame and the reader sees the end; a peer that does not (or that
    // answers and keeps the TCP connection open, which Beast's teardown waits for) is cut off by
    // the watchdog: at the write timeout, or when the server is shutting down at the drain timeout.
    s.deadline_after(s.shutting_down() ? std::min(write_timeout, s.lim().drain_timeout) : write_timeout);
    co_await ws.async_close(why, as_tuple);
  };
  co_await corio::gather(reader(), writer());
}

void register_chat(app& a) {
  auto hub = std::make_shared<chat_hub>(a.cfg().chat_presence_interval);
  a.on_shards([hub](const std::vector<corio::executor>& shards) { hub->set_shards(shards); });
  const bool relayed = !a.cfg().redis_url.empty();
  a.add_figures([hub, relayed](boost::json::object& o) {
    o["chat_members"] = hub->members();
    o["chat_dropped"] = hub->dropped();
    o["chat_presence_events"] = hub->presence_events();
    if (relayed) {
      auto& r = hub->relay();
      o["chat_relay_connected"] = r.connected.load(std::memory_order_relaxed);
      o["chat_relay_sent"] = r.sent.load(std::memory_order_relaxed);
      o["chat_relay_received"] = r.received.load(std::memory_order_relaxed);
      o["chat_relay_dropped"] = r.dropped.load(std::memory_order_relaxed);
    }
  });
  a.routes().add(http::verb::get, "/ws/chat", stream_handler([hub](request_context& c, stream& s) {
                   return chat_session(*hub, c, s);
                 }));
  if (relayed) {
    auto relay = std::make_shared<chat_relay>(a, hub, a.cfg().redis_url);
    a.add_background([relay] { return relay->run(); });
  }
}

}  // namespace serve
