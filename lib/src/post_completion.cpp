// The non-template overloads of corio/detail/post_completion.hpp, compiled once.
#include <corio/detail/post_completion.hpp>
#include <corio/detail/traced_executor.hpp>

namespace corio::detail {

executor posting_executor(const executor& ex) noexcept { return untraced(ex); }

void post_completion(const executor& fallback, asio::any_completion_handler<void(boost::system::error_code)>&& h,
                     boost::system::error_code ec) {
  auto hex = asio::get_associated_executor(h, fallback);
  asio::post(untraced(fallback), asio::bind_executor(std::move(hex), [h = std::move(h), ec]() mutable { std::move(h)(ec); }));
}

void post_completion(const executor& fallback, asio::any_completion_handler<void()>&& h) {
  auto hex = asio::get_associated_executor(h, fallback);
  asio::post(untraced(fallback), asio::bind_executor(std::move(hex), [h = std::move(h)]() mutable { std::move(h)(); }));
}

}  // namespace corio::detail
