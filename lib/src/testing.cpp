#include <corio/debug.hpp>
#include <corio/detail/registry.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/detail/traced_executor.hpp>
#include <corio/detail/virtual_clock.hpp>
#include <corio/task.hpp>
#include <corio/sleep.hpp>
#include <corio/testing.hpp>

#include <boost/asio/detail/executor_function.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>

#include <algorithm>
#include <charconv>
#include <deque>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace corio::testing {

namespace {

std::string live_tasks(const detail::task_registry& reg) {
  std::ostringstream out;
  reg.for_each([&](detail::task_base& t) {
    out << "\n  task #" << t.id_ << " '" << t.name() << "' " << detail::to_string(t.status_);
  });
  return out.str();
}

/// The handlers posted through the test's executor, run one at a time: the oldest first with seed
/// 0, else in an order drawn from the seed. One per run_test. Thread-safe: a function run on a
/// thread pool (to_thread) completes by posting here from the pool's thread; the queue is locked,
/// a handler runs outside the lock.
class shuffler {
public:
  explicit shuffler(std::uint64_t seed) : seed_(seed), rng_(seed) {}

  [[nodiscard]] bool empty() const {
    const std::lock_guard lock(mutex_);
    return ready_.empty();
  }

  /// After close(), a posted handler is destroyed at once, as a stopped io_context does.
  template <typename F>
  void push(F&& f) {
    queued it(std::forward<F>(f));
    const std::lock_guard lock(mutex_);
    if (!closed_) ready_.push_back(std::move(it));
    // (Otherwise `it` is destroyed on leaving — after the lock, which is released first as the
    // later-declared object.)
  }

  /// One turn: runs one of the queued handlers — the oldest, or one chosen at random (each turn
  /// was posted with its handler, so every handler gets its turn).
  void run_one() {
    std::optional<queued> chosen;
    {
      const std::lock_guard lock(mutex_);
      if (ready_.empty()) return;
      if (seed_ != 0) {
        std::uniform_int_distribution<std::size_t> pick(0, ready_.size() - 1);
        std::swap(ready_[pick(rng_)], ready_.front());
      }
      chosen.emplace(std::move(ready_.front()));
      ready_.pop_front();
    }
    chosen->run();
  }

  /// Destroys the queued handlers (before the io_context goes: they may own coroutine frames).
  void close() noexcept {
    std::deque<queued> left;
    {
      const std::lock_guard lock(mutex_);
      closed_ = true;
      left.swap(ready_);
    }
    left.clear();
  }

private:
  /// A queued handler: Asio's own type-erased function (what any_io_executor hands its target,
  /// so usually moved in as it is, with no allocation of its own), made assignable so that a
  /// random turn can swap it to the front.
  class queued {
  public:
    using function = asio::detail::executor_function;
    template <typename F>
    explicit queued(F&& f) {
      if constexpr (std::is_same_v<std::decay_t<F>, function>) {
        new (&storage_) function(std::forward<F>(f));
      } else {
        new (&storage_) function(std::forward<F>(f), std::allocator<void>());
      }
    }
    queued(queued&& other) noexcept { new (&storage_) function(std::move(other.get())); }
    queued& operator=(queued&& other) noexcept {
      if (this != &other) {
        get().~function();
        new (&storage_) function(std::move(other.get()));
      }
      return *this;
    }
    queued(const queued&) = delete;
    queued& operator=(const queued&) = delete;
    ~queued() { get().~function(); }  // destroys a handler that never ran, without running it

    void run() { get()(); }

  private:
    function& get() noexcept { return *std::launder(reinterpret_cast<function*>(&storage_)); }
    alignas(function) unsigned char storage_[sizeof(function)];
  };

  mutable std::mutex mutex_;
  std::deque<queued> ready_;
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  bool closed_ = false;
};

/// The running test's queue (run_test sets it on its thread).
thread_local shuffler* current_shuffler = nullptr;

/// The test's executor: posts go through the shuffler; a dispatch from inside the context runs
/// inline, as the io_context's own executor does. Its properties are the io_context executor's
/// (`Inner`, which carries blocking.never and work tracking: a queued handler's turn is posted to
/// the io_context, keeping run() busy). Two pointers wide, so that an any_io_executor holds it in
/// place: every require/prefer Asio makes per operation would otherwise allocate a copy.
template <typename Inner>
class shuffling_executor {
public:
  shuffling_executor(Inner inner, shuffler* s) noexcept : inner_(std::move(inner)), s_(s) {}

  asio::execution_context& query(asio::execution::context_t) const noexcept {
    return asio::query(inner_, asio::execution::context);
  }
  asio::execution::blocking_t query(asio::execution::blocking_t) const noexcept {
    return never() ? asio::execution::blocking_t(asio::execution::blocking.never)
                   : asio::execution::blocking_t(asio::execution::blocking.possibly);
  }

  shuffling_executor require(asio::execution::blocking_t::never_t p) const {
    return {asio::require(inner_, p), s_};
  }
  shuffling_executor prefer(asio::execution::blocking_t::possibly_t p) const {
    return {asio::require(inner_, p), s_};
  }
  auto prefer(asio::execution::outstanding_work_t::tracked_t p) const {
    return shuffling_executor<decltype(asio::prefer(inner_, p))>(asio::prefer(inner_, p), s_);
  }
  auto prefer(asio::execution::outstanding_work_t::untracked_t p) const {
    return shuffling_executor<decltype(asio::prefer(inner_, p))>(asio::prefer(inner_, p), s_);
  }
  shuffling_executor prefer(asio::execution::relationship_t::fork_t) const { return *this; }
  shuffling_executor prefer(asio::execution::relationship_t::continuation_t) const { return *this; }

  template <typename F>
  void execute(F&& f) const {
    if (!never() && inner_.running_in_this_thread()) {
      std::forward<F>(f)();
      return;
    }
    s_->push(std::forward<F>(f));
    asio::require(inner_, asio::execution::blocking.never).execute([s = s_] { s->run_one(); });
  }

  friend bool operator==(const shuffling_executor& a, const shuffling_executor& b) noexcept {
    return a.inner_ == b.inner_ && a.s_ == b.s_;
  }
  friend bool operator!=(const shuffling_executor& a, const shuffling_executor& b) noexcept { return !(a == b); }

private:
  bool never() const noexcept {
    return asio::query(inner_, asio::execution::blocking) == asio::execution::blocking.never;
  }

  Inner inner_;
  shuffler* s_;
};
// (Asio keeps a target executor in place when it fits a shared_ptr and a pointer.)
static_assert(sizeof(shuffling_executor<asio::io_context::executor_type>) <= sizeof(std::shared_ptr<void>) + sizeof(void*));

std::uint64_t seed_from_env(const char* name, const char* value) {
  std::uint64_t v = 0;
  const std::string s(value);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    throw std::invalid_argument(std::string("corio::testing: ") + name + "='" + s +
                                "' is not a non-negative integer");
  }
  return v;
}

/// Runs whatever is ready, jumping virtual time when nothing is; returns false when stuck.
bool step(asio::io_context& ctx, detail::virtual_clock* vc, std::chrono::milliseconds grace) {
  ctx.restart();
  if (ctx.poll() > 0) return true;
  if (vc && vc->jump_to_next()) return true;
  ctx.restart();
  return ctx.run_one_for(grace) > 0;
}

}  // namespace

struct test_loop::impl {
  explicit impl(options o) : opts(o), shuffle(o.schedule_seed) {
    if (opts.debug) enable_debug(ctx);
  }
  ~impl() {
    // As the context goes, timers inside coroutine frames unregister from the clock, and a queued
    // handler's turn must not run: the queue is closed (its handlers destroyed) first.
    std::optional<detail::virtual_clock_guard> guard;
    if (opts.virtual_time) guard.emplace(vc);
    shuffle.close();
  }

  options opts;
  detail::virtual_clock vc;  // declared before the context: outlives it
  shuffler shuffle;
  asio::io_context ctx{1};
};

test_loop::test_loop(options opts) : impl_(std::make_unique<impl>(opts)) {}

test_loop::~test_loop() = default;

void test_loop::run(const std::function<awaitable<void>()>& fn) {
  impl& s = *impl_;
  std::optional<detail::virtual_clock_guard> guard;
  if (s.opts.virtual_time) guard.emplace(s.vc);
  detail::virtual_clock* vcp = s.opts.virtual_time ? &s.vc : nullptr;
  auto& reg = detail::task_registry::of(s.ctx.get_executor());
  struct restore {
    shuffler* previous;
    ~restore() { current_shuffler = previous; }
  } restore_shuffler{current_shuffler};
  current_shuffler = &s.shuffle;
  auto main = spawn(executor(shuffling_executor(s.ctx.get_executor(), &s.shuffle)), fn(), "test main");
  auto& main_state = detail::task_access::state(main);
  while (!main_state.done()) {
    if (!step(s.ctx, vcp, s.opts.deadlock_grace)) {
      throw deadlock_error("corio::testing: deadlock: nothing can run, no timer is pending and no "
                           "event arrived; live tasks:" + live_tasks(reg));
    }
  }
  // Let work that is already ready finish, without advancing time.
  for (s.ctx.restart(); s.ctx.poll() > 0; s.ctx.restart()) {
  }
  if (reg.size() > 0) {
    std::string what = "corio::testing: the test left tasks running:" + live_tasks(reg);
    std::vector<detail::task_base*> left;
    reg.for_each([&](detail::task_base& t) { left.push_back(&t); });
    for (auto* t : left) t->request_cancel();
    for (int i = 0; i < 1000 && reg.size() > 0 && step(s.ctx, vcp, s.opts.deadlock_grace); ++i) {
    }
    main.get();  // main's own failure is the more useful report
    throw leftover_tasks_error(what);
  }
  main.get();
}

void run_test(const std::function<awaitable<void>()>& fn, options opts) { test_loop(opts).run(fn); }

std::vector<std::uint64_t> schedule_seeds(const options& opts) {
  if (!opts.randomize) return {0};
  if (const char* one = std::getenv("CORIO_TEST_SEED"); one && *one) return {seed_from_env("CORIO_TEST_SEED", one)};
  std::uint64_t n = 1;
  if (const char* many = std::getenv("CORIO_TEST_SEEDS"); many && *many) n = seed_from_env("CORIO_TEST_SEEDS", many);
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t i = 0; i < std::max<std::uint64_t>(n, 1); ++i) seeds.push_back(i);
  return seeds;
}

awaitable<void> wait_all_tasks_blocked() {
  if (!current_shuffler) throw std::logic_error("corio::testing::wait_all_tasks_blocked: not inside run_test");
  do {
    co_await yield();
  } while (!current_shuffler->empty());
}

void advance(duration d) {
  if (!detail::current_virtual_clock) throw std::logic_error("corio::testing::advance: no virtual clock is active");
  detail::current_virtual_clock->advance(d);
}

std::size_t pending_wakeups() {
  const auto* vc = detail::current_virtual_clock;
  if (!vc) throw std::logic_error("corio::testing::pending_wakeups: no virtual clock is active");
  return vc->pending();
}

clock::time_point next_wakeup() {
  const auto* vc = detail::current_virtual_clock;
  if (!vc) throw std::logic_error("corio::testing::next_wakeup: no virtual clock is active");
  return vc->pending() > 0 ? vc->next_deadline() : clock::time_point::max();
}

}  // namespace corio::testing
