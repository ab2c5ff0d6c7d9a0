#include <corio/cancellation.hpp>
#include <corio/exception_group.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/experimental/channel_error.hpp>
#include <boost/system/system_error.hpp>

namespace corio {

namespace detail {
std::string describe_exception(const std::exception_ptr& e);
}

exception_group::exception_group(std::vector<std::exception_ptr> errors) : errors_(std::move(errors)) {
  what_ = std::to_string(errors_.size()) + (errors_.size() == 1 ? " error" : " errors");
  char sep = ':';
  for (std::size_t i = 0; i < errors_.size(); ++i) {
    what_ += sep;
    what_ += " [" + std::to_string(i + 1) + "] " + detail::describe_exception(errors_[i]);
    sep = ';';
  }
}

bool is_cancellation(const std::exception& e) noexcept {
  const auto* se = dynamic_cast<const boost::system::system_error*>(&e);
  // Asio's experimental channels report their own code for a cancelled send/receive.
  return se && (se->code() == boost::asio::error::operation_aborted ||
                se->code() == boost::asio::experimental::error::channel_cancelled);
}

bool is_cancellation(const std::exception_ptr& e) noexcept {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return is_cancellation(x);
  } catch (...) {
    return false;
  }
}

void throw_cancelled() {
  throw boost::system::system_error(boost::asio::error::operation_aborted, "corio: cancelled");
}

std::exception_ptr cancellation_error() noexcept {
  return std::make_exception_ptr(
      boost::system::system_error(boost::asio::error::operation_aborted, "corio: cancelled"));
}

}  // namespace corio
