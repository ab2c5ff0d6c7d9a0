#include <serve/chat_relay.hpp>

#include <serve/chat.hpp>

#include <corio/cancellation.hpp>
#include <corio/event.hpp>
#include <corio/gather.hpp>
#include <corio/queue.hpp>
#include <corio/redis/client.hpp>
#include <corio/redis/subscriber.hpp>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace serve {

namespace asio = boost::asio;

namespace {

constexpr std::size_t relay_queue = 1024;
/// A message that waited this long for Redis is dropped rather than published late.
constexpr auto stale_after = std::chrono::seconds(10);

std::string random_id() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

corio::redis::options publisher_options(const std::string& url) {
  corio::redis::options o;
  o.url = url;
  return o;
}

}  // namespace

/// What the room's hook shares with run(): it may outlive both (handlers still queued on shard 0).
struct chat_relay::state {
  state(std::shared_ptr<chat_hub> h, const std::string& url)
      : hub(std::move(h)), prefix(random_id() + "\n"), queue(relay_queue),
        pub(publisher_options(url)), sub(url, {chat_channel}) {}

  std::shared_ptr<chat_hub> hub;
  std::optional<corio::executor> ex;  // shard 0's, set before serving
  std::string prefix;  // this instance's id and a newline: the start of every message it publishes
  struct queued {
    chat_hub::message msg;
    std::chrono::steady_clock::time_point at;
  };
  corio::queue<queued> queue;  // shard 0 only
  corio::redis::client pub;
  corio::redis::subscriber sub;
  std::uint64_t drops_logged = 0;
};

chat_relay::chat_relay(app& a, std::shared_ptr<chat_hub> hub, const std::string& redis_url)
    : app_(a), st_(std::make_shared<state>(std::move(hub), redis_url)) {
  a.on_shards([st = st_](const std::vector<corio::executor>& shards) { st->ex = shards.front(); });
  // From any shard: onto shard 0's queue, never waiting.
  st_->hub->set_relay([weak = std::weak_ptr<state>(st_)](const chat_hub::message& msg) {
    auto st = weak.lock();
    if (!st || !st->ex) return;
    asio::post(*st->ex, [weak, msg] {
      if (auto live = weak.lock(); live && !live->queue.try_put({msg, std::chrono::steady_clock::now()})) {
        live->hub->relay().dropped.fetch_add(1, std::memory_order_relaxed);
      }
    });
  });
}

chat_relay::~chat_relay() = default;

corio::awaitable<void> chat_relay::run() {
  auto st = st_;
  auto& figures = st->hub->relay();
  auto& log = app_.log();
  const std::string where = st->sub.address().to_string();
  auto report_drops = [&] {
    const auto n = figures.dropped.load(std::memory_order_relaxed);
    if (n > st->drops_logged && (st->drops_logged == 0 || n / 1000 > st->drops_logged / 1000)) {
      log.warn("chat relay: {} message(s) not sent to {} so far (Redis unreachable, refusing, or slower than "
               "the room for longer than {} messages)",
               n, where, relay_queue);
    }
    st->drops_logged = n;
  };

  auto publisher = [&]() -> corio::awaitable<void> {
    bool failing = false;
    while (auto item = co_await st->queue.next()) {
      if (std::chrono::steady_clock::now() - item->at > stale_after) {
        figures.dropped.fetch_add(1, std::memory_order_relaxed);  // stale: Redis was away too long
        report_drops();
        continue;
      }
      std::string payload;
      payload.reserve(st->prefix.size() + item->msg->size());
      payload += st->prefix;
      payload += *item->msg;
      try {
        co_await st->pub.call("PUBLISH", chat_channel, payload);
        figures.sent.fetch_add(1, std::memory_order_relaxed);
        if (failing) log.info("chat relay: publishing to {} again", where);
        failing = false;
      } catch (const corio::redis::error& e) {
        figures.dropped.fetch_add(1, std::memory_order_relaxed);
        if (!failing) log.warn("chat relay: PUBLISH to {}: {}; dropping messages until it works again", where, e.what());
        failing = true;
      }
      report_drops();
    }
  };
  bool was_up = false;
  bool reported_down = false;
  auto subscriber = [&]() -> corio::awaitable<void> {
    co_await st->sub.run(
        [&](const std::string&, std::string payload) {
          if (std::string_view(payload).starts_with(st->prefix)) return;  // ours: delivered here already
          const auto nl = payload.find('\n');
          if (nl == std::string::npos) return;  // not from a corio-serve
          st->hub->deliver_from_elsewhere(std::make_shared<const std::string>(payload.substr(nl + 1)));
        },
        [&](bool up, const std::string& why) {
          figures.connected.store(up, std::memory_order_relaxed);
          if (up) {
            log.info("chat relay: subscribed to {} on {}", chat_channel, where);
            was_up = true;
            reported_down = false;
          } else if (!reported_down) {
            log.warn("chat relay: {} ({}); retrying until it is back", why, was_up ? "lost" : "not reached");
            reported_down = true;
          }
        });
  };
  try {
    co_await corio::gather(publisher(), subscriber());
  } catch (const std::exception& e) {
    if (corio::is_cancellation(e)) {
      figures.connected.store(false, std::memory_order_relaxed);
      throw;
    }
    log.error("chat relay stopped: {}; the chat room is this instance's only", e.what());
  }
  figures.connected.store(false, std::memory_order_relaxed);
  // Stopped for good: wait for the server to end (cancellation), as a running relay would.
  corio::event never;
  co_await never.wait();
}

}  // namespace serve
