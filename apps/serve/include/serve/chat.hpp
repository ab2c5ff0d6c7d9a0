// serve/chat.hpp — the WebSocket chat room behind /ws/chat.
//
// Every member has its own bounded outbox (a corio::queue of 64 messages) drained by its own
// writer task; a message is fanned out by putting it (one shared string) into every outbox with
// try_put, so a sender never waits for a receiver. Drop policy: a member whose outbox is full when
// a message arrives — it reads more slowly than the room talks — is disconnected with close code
// 1008 "too slow"; nobody else is slowed down and nothing is silently skipped for the others. A
// single write that stalls longer than limits.write_timeout also disconnects the member.
//
// Across shards (--threads N) each shard keeps the members connected to it; publish() posts the
// message to every shard, which delivers it to its own members. Messages of one member arrive in
// the order sent; messages of different members may interleave differently on different shards.
//
// Across instances (--redis URL): every message and presence event published here is also handed
// to the relay (serve/chat_relay.hpp), which publishes it to Redis; what other instances publish
// comes back through deliver_from_elsewhere() and is fanned out to this instance's members like a
// local message. The outbox bound and the drop policy are the same for both. A presence event's
// "members" counts the members of the instance that announced it.
//
// Presence is batched so that a storm of joins costs O(members) per announcement, not O(n²) in
// all: joins and leaves are gathered on shard 0 and announced at most once per 100 ms
// (--chat-presence-interval; the first after a quiet spell at once). A batch of one is a "join"/"leave" event; a larger one is a single
// "presence" event naming up to 100 of those who joined and left, with the counts. A member's
// messages may arrive before its join is announced (by at most that 100 ms).
//
// Protocol: connect to /ws/chat?name=NAME; send text messages (at most 4 KiB, in at most 128
// frames: a peer sending more, empty continuations included, is disconnected); receive JSON:
//   {"type":"message","from":NAME,"text":TEXT,"ts":UNIX_MS}
//   {"type":"join"|"leave","name":NAME,"members":N,"ts":UNIX_MS}
//   {"type":"presence","joined":[NAME...],"left":[NAME...],"joined_count":J,"left_count":L,
//    "members":N,"ts":UNIX_MS}
// On server shutdown members receive close code 1001 (going away).
//
// Cancellation: chat_session ends at the drain deadline like any request (the member leaves).
// Exceptions: chat_session throws boost::system::system_error on I/O failures (the connection ends).
// Thread safety: publish(), announce(), members() from any shard; join()/leave() on the member's
// shard.
#pragma once

#include <serve/handler.hpp>
#include <serve/router.hpp>

#include <corio/config.hpp>
#include <corio/queue.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace serve {

class chat_hub : public std::enable_shared_from_this<chat_hub> {
public:
  static constexpr std::size_t outbox_capacity = 64;
  static constexpr std::size_t max_message_bytes = 4096;
  /// Frames per message (and control frames inside one), empty ones included: a peer past it is
  /// disconnected (serve/ws_frame_limit.hpp).
  static constexpr std::size_t max_frames_per_message = 128;
  static constexpr std::size_t max_presence_names = 100;  // per list of a "presence" event
  using message = std::shared_ptr<const std::string>;

  struct member {
    explicit member(std::string n) : name(std::move(n)), outbox(outbox_capacity) {}
    std::string name;
    corio::queue<message> outbox;
    bool too_slow = false;
  };

  /// `presence_interval`: joins and leaves are announced at most once per interval (0: each at once).
  explicit chat_hub(std::chrono::milliseconds presence_interval = std::chrono::milliseconds(100));
  ~chat_hub();

  /// The shards' executors (index = shard number). Call before serving.
  void set_shards(std::vector<corio::executor> shards);

  void join(std::size_t shard, member& m);
  void leave(std::size_t shard, member& m);
  /// Fans `msg` out to every member of every shard (asynchronously: never inside this call).
  void publish(message msg);
  /// Announces that `name` joined (or left), batched with the others (see above).
  void announce(bool joined, std::string name);

  /// Hands every message published here to `relay` as well (from any shard; call before serving).
  void set_relay(std::function<void(const message&)> relay) { relay_ = std::move(relay); }
  /// Fans out a message published by another instance to this instance's members (any thread).
  void deliver_from_elsewhere(message msg);

  [[nodiscard]] std::size_t members() const noexcept { return members_.load(std::memory_order_relaxed); }
  /// Members disconnected for being too slow, since start.
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

  /// Presence events published, and joins/leaves they announced, since start.
  [[nodiscard]] std::uint64_t presence_events() const noexcept { return presence_events_.load(std::memory_order_relaxed); }

  /// The relay's figures (zero without --redis): messages sent to Redis, received from other
  /// instances, dropped (Redis unreachable or too slow for longer than the relay's queue holds),
  /// and whether the relay is subscribed now.
  struct relay_figures {
    std::atomic<std::uint64_t> sent{0}, received{0}, dropped{0};
    std::atomic<bool> connected{false};
  };
  [[nodiscard]] relay_figures& relay() noexcept { return relay_figures_; }

private:
  struct presence {
    bool joined;
    std::string name;
  };
  void deliver(std::size_t shard, const message& msg);
  void deliver_here(const message& msg);  // to every shard
  void add_presence(presence p);  // on shard 0
  void flush_presence();          // on shard 0

  std::vector<corio::executor> shards_;
  std::vector<std::list<member*>> rooms_;  // rooms_[k] is touched only on shard k
  std::atomic<std::size_t> members_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> presence_events_{0};
  std::function<void(const message&)> relay_;
  relay_figures relay_figures_;
  // Shard 0 only: the joins and leaves not announced yet, and when the last batch went out.
  std::chrono::milliseconds presence_interval_;
  std::vector<presence> pending_;
  bool flush_armed_ = false;
  std::chrono::steady_clock::time_point last_flush_{};
};

/// The /ws/chat stream handler: one member of `hub`'s room.
[[nodiscard]] corio::awaitable<void> chat_session(chat_hub& hub, request_context& ctx, stream& s);

class app;
/// Registers /ws/chat with a room of its own (owned by the route; with --redis, also the relay
/// that shares it across instances) and the room's figures in /api/stats.
void register_chat(app& a);

}  // namespace serve
