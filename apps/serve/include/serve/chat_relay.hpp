// serve/chat_relay.hpp — one chat room across corio-serve instances, through Redis pub/sub.
//
// With --redis URL, register_chat makes a chat_relay for its room (it hooks itself into the room
// before serving) and its run() goes on beside the server (on shard 0) until the server stops:
//   - every message and presence event published in this instance's room is published to the
//     Redis channel "corio-serve:chat", prefixed with this instance's random id, by one
//     corio::redis::client; a queue of 1,024 messages absorbs a slow or restarting Redis, and a
//     message that finds it full, that waited 10 s (stale by then), or that Redis refuses is
//     dropped and counted (/api/stats "chat_relay_dropped"); the log says when publishing starts
//     failing and when it works again, and counts the drops (the first, then every 1,000th);
//   - a corio::redis::subscriber receives what the other instances publish (its own messages,
//     delivered here already, are recognised by the id and skipped) and hands it to the room
//     (a payload that is not UTF-8, which no corio-serve publishes, is dropped and counted).
//     A lost connection is logged once and retried until Redis is back; messages published in
//     between are not received (pub/sub is at most once).
// AUTH refused is logged as an error; the room then stays local to this instance.
//
// Cancellation: run() ends (throws operation_aborted) when cancelled.
// Exceptions: the constructor throws corio::redis::error (bad_url); run() only cancellation
// (failures are logged).
// Thread safety: construct before serving; the room's hook is called from any shard; run() on
// shard 0.
#pragma once

#include <serve/app.hpp>
#include <serve/chat.hpp>

#include <corio/config.hpp>

#include <memory>
#include <string>

namespace serve {

/// The Redis channel of the room.
inline constexpr const char* chat_channel = "corio-serve:chat";

class chat_relay {
public:
  /// Hooks into `hub` (and into `a`'s shards: messages go to shard 0 to be sent).
  chat_relay(app& a, std::shared_ptr<chat_hub> hub, const std::string& redis_url);
  ~chat_relay();
  chat_relay(const chat_relay&) = delete;
  chat_relay& operator=(const chat_relay&) = delete;

  [[nodiscard]] corio::awaitable<void> run();

private:
  struct state;
  app& app_;
  std::shared_ptr<state> st_;
};

}  // namespace serve
