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
// Protocol: connect to /ws/chat?name=NAME; send text frames (at most 4 KiB); receive JSON:
//   {"type":"message","from":NAME,"text":TEXT,"ts":UNIX_MS}
//   {"type":"join"|"leave","name":NAME,"members":N,"ts":UNIX_MS}
// On server shutdown members receive close code 1001 (going away).
//
// Cancellation: chat_session ends at the drain deadline like any request (the member leaves).
// Exceptions: chat_session throws boost::system::system_error on I/O failures (the connection ends).
// Thread safety: publish(), members() from any shard; join()/leave() on the member's shard.
#pragma once

#include <serve/connection.hpp>
#include <serve/router.hpp>

#include <corio/config.hpp>
#include <corio/queue.hpp>

#include <atomic>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace serve {

class chat_hub : public std::enable_shared_from_this<chat_hub> {
public:
  static constexpr std::size_t outbox_capacity = 64;
  static constexpr std::size_t max_message_bytes = 4096;
  using message = std::shared_ptr<const std::string>;

  struct member {
    explicit member(std::string n) : name(std::move(n)), outbox(outbox_capacity) {}
    std::string name;
    corio::queue<message> outbox;
    bool too_slow = false;
  };

  chat_hub();
  ~chat_hub();

  /// The shards' executors (index = shard number). Call before serving.
  void set_shards(std::vector<corio::executor> shards);

  void join(std::size_t shard, member& m);
  void leave(std::size_t shard, member& m);
  /// Fans `msg` out to every member of every shard (asynchronously: never inside this call).
  void publish(message msg);

  [[nodiscard]] std::size_t members() const noexcept { return members_.load(std::memory_order_relaxed); }
  /// Members disconnected for being too slow, since start.
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

private:
  void deliver(std::size_t shard, const message& msg);

  std::vector<corio::executor> shards_;
  std::vector<std::list<member*>> rooms_;  // rooms_[k] is touched only on shard k
  std::atomic<std::size_t> members_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

/// The /ws/chat stream handler.
[[nodiscard]] corio::awaitable<void> chat_session(request_context& ctx, stream& s);

}  // namespace serve
