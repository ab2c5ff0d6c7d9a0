// corio/detail/post_completion.hpp — complete a stored handler later, on its own executor.
// Internal.
#pragma once

#include <corio/config.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <tuple>
#include <utility>

namespace corio::detail {

/// `ex` without the tracing wrapper of a debug-mode task or of a task with a context
/// (traced_executor.hpp): a completion posted through a task's executor for another coroutine
/// must not run inside a step attributed to that task.
[[nodiscard]] executor posting_executor(const executor& ex) noexcept;

/// Posts `h(args...)` through `fallback` (untraced), running it on h's associated executor (as
/// Asio's own operations do). Never invokes `h` inline. (Asio 1.26's append() recurses forever when the
/// handler is an any_completion_handler, so the arguments are bound here instead.)
template <typename Handler, typename... Args>
void post_completion(const executor& fallback, Handler&& h, Args&&... args) {
  auto hex = asio::get_associated_executor(h, fallback);
  asio::post(posting_executor(fallback), asio::bind_executor(
                           std::move(hex),
                           [h = std::forward<Handler>(h),
                            args = std::make_tuple(std::forward<Args>(args)...)]() mutable {
                             std::apply([&](auto&&... a) { std::move(h)(std::move(a)...); }, std::move(args));
                           }));
}

/// The same for the two handler types Corio stores most, compiled once (lib/src/post_completion.cpp):
/// overload resolution prefers these to the template above.
void post_completion(const executor& fallback, asio::any_completion_handler<void(boost::system::error_code)>&& h,
                     boost::system::error_code ec);
void post_completion(const executor& fallback, asio::any_completion_handler<void()>&& h);

/// Stores `h` into `slot`. (Asio 1.26's any_completion_handler move-assignment recurses forever:
/// it constructs from an lvalue of its own type through the converting constructor.)
template <typename AnyHandler, typename Handler>
void store_handler(AnyHandler& slot, Handler&& h) {
  AnyHandler(std::forward<Handler>(h)).swap(slot);
}

}  // namespace corio::detail
