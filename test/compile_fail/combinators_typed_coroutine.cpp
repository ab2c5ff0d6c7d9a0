// Must not compile: each of Corio's combinators given a coroutine whose executor type is not
// any_io_executor (or a callable returning one) refuses it with a message naming the fix.
// (Without the cases, the file compiles: the refusals come from the typed coroutines alone.)
// case 1 expect: corio::gather takes corio::awaitable<T>
// case 2 expect: corio::gather takes corio::awaitable<T>
// case 3 expect: corio::gather_settled takes corio::awaitable<T>
// case 4 expect: corio::race takes corio::awaitable<T>
// case 5 expect: corio::shield takes corio::awaitable<T>
// case 6 expect: corio::finally takes corio::awaitable<T>
// case 7 expect: corio::task_group::spawn takes corio::awaitable<T>
// case 8 expect: corio::task_group::spawn takes corio::awaitable<T>
// case 9 expect: corio::as_completed takes corio::awaitable<T>
// case 10 expect: corio::spawn takes corio::awaitable<T>
// case 11 expect: corio::with: the body takes corio::awaitable<T>
// case 12 expect: corio::spawn runs corio::awaitable<T>
// case 13 expect: corio::wait_for takes corio::awaitable<T>
#include <corio/as_completed.hpp>
#include <corio/gather.hpp>
#include <corio/race.hpp>
#include <corio/shield.hpp>
#include <corio/task_group.hpp>
#include <corio/timeout.hpp>
#include <corio/with.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <vector>

using typed_awaitable = boost::asio::awaitable<int, boost::asio::io_context::executor_type>;
typed_awaitable typed() { co_return 1; }
corio::awaitable<int> native() { co_return 2; }
struct resource {
  corio::awaitable<void> aclose() { co_return; }
};

#ifdef ALL_CASES
corio::awaitable<void> case_1([[maybe_unused]] corio::executor ex) {
  co_await corio::gather(native(), typed());
  co_return;
}
corio::awaitable<void> case_2([[maybe_unused]] corio::executor ex) {
  std::vector<typed_awaitable> v;
  co_await corio::gather(std::move(v));
  co_return;
}
corio::awaitable<void> case_3([[maybe_unused]] corio::executor ex) {
  co_await corio::gather_settled(typed());
  co_return;
}
corio::awaitable<void> case_4([[maybe_unused]] corio::executor ex) {
  co_await corio::race(native(), typed());
  co_return;
}
corio::awaitable<void> case_5([[maybe_unused]] corio::executor ex) {
  co_await corio::shield(typed());
  co_return;
}
corio::awaitable<void> case_6([[maybe_unused]] corio::executor ex) {
  co_await corio::finally(typed(), [] { return native(); });
  co_return;
}
corio::awaitable<void> case_7([[maybe_unused]] corio::executor ex) {
  co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(typed());
    co_return;
  });
  co_return;
}
corio::awaitable<void> case_8([[maybe_unused]] corio::executor ex) {
  co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn([] { return typed(); });
    co_return;
  });
  co_return;
}
corio::awaitable<void> case_9([[maybe_unused]] corio::executor ex) {
  std::vector<typed_awaitable> v;
  auto seq = corio::as_completed(ex, std::move(v));
  co_return;
}
corio::awaitable<void> case_10([[maybe_unused]] corio::executor ex) {
  corio::spawn(ex, [] { return typed(); });
  co_return;
}
corio::awaitable<void> case_11([[maybe_unused]] corio::executor ex) {
  resource r;
  co_await corio::with(r, [](resource&) { return typed(); });
  co_return;
}
corio::awaitable<void> case_12([[maybe_unused]] corio::executor ex) {
  corio::spawn(ex, typed());
  co_return;
}
corio::awaitable<void> case_13([[maybe_unused]] corio::executor ex) {
  (void)co_await corio::wait_for(typed(), std::chrono::seconds(1));
  co_return;
}
#endif

int main() {}
