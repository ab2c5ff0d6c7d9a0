// corio/redis/script.hpp — a Lua script and its SHA1, for EVALSHA.
//
//   static const corio::redis::script lease(R"(
//     if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
//     return 0)");
//   std::vector<std::string> keys{"lease:" + url}, args{worker, "30000"};
//   auto r = co_await client.eval(lease, keys, args);   // EVALSHA; on NOSCRIPT: SCRIPT LOAD, again
//
// A script is immutable and cheap to copy (copies share the source). evalsha_command builds the
// EVALSHA command for a batch (client::exec_batch); a batch does not load scripts: load them first
// (client::load), or handle a NOSCRIPT error reply (is_noscript) yourself.
//
// Cancellation: not applicable.
// Exceptions: std::bad_alloc; the constructor throws std::runtime_error if OpenSSL's libcrypto
// cannot compute a SHA1 (a broken installation).
// Thread safety: a value type; const members are safe from any thread.
#pragma once

#include <corio/redis/command.hpp>
#include <corio/redis/reply.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace corio::redis {

class script {
public:
  explicit script(std::string source);

  [[nodiscard]] const std::string& source() const noexcept { return data_->source; }
  /// The SHA1 of the source, 40 lower-case hex digits (what SCRIPT LOAD returns).
  [[nodiscard]] const std::string& sha1() const noexcept { return data_->sha1; }

private:
  struct data {
    std::string source;
    std::string sha1;
  };
  std::shared_ptr<const data> data_;
};

/// EVALSHA <sha1> <number of keys> <keys...> <args...>
[[nodiscard]] command evalsha_command(const script& s, const std::vector<std::string>& keys,
                                      const std::vector<std::string>& args);

/// True for the error reply of EVALSHA when the server does not have the script.
[[nodiscard]] bool is_noscript(const reply& r) noexcept;

}  // namespace corio::redis
