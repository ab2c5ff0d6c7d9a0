// Corio next to hand-written Asio, workload by workload, in one process (the machine is shared and
// noisy: implementations alternate, each runs `repeats` times, the median is printed).
//
//   bench-micro [repeats [filter]]   all time-based workloads (or those whose "workload impl" contains filter)
//   bench-micro --list               the workloads, one "workload<TAB>implementation" a line
//   bench-micro --one W I [repeats]  one implementation alone in this process: a warm-up run, then
//                                    `repeats` (3) timed runs; perf/run starts each in a fresh process
//   bench-micro memory <impl> <N>    RSS per idle task (run each in a fresh process; perf/run does)
//
// Output: one line per measurement, "workload<TAB>implementation<TAB>median<TAB>unit".
//
// The heap is the same for every implementation: freed memory stays mapped (glibc's trim and mmap
// thresholds raised), no fastbins, and every timed run starts on a settled heap (the blocks the
// previous run freed are sorted into glibc's bins before the clock starts). Otherwise a run pays
// for the page faults and the deferred free work of whichever run came before it — swings of up to
// 1.7× on the same code.
#include <corio/corio.hpp>
#include <corio/event.hpp>
#include <corio/queue.hpp>
#include <corio/semaphore.hpp>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

/// Runs `make()` (an awaitable<void>) on a fresh io_context; returns wall nanoseconds.
template <typename Make>
double run_ns(Make make) {
  asio::io_context ctx(1);
  const auto t0 = clk::now();
  asio::co_spawn(ctx, make(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ctx.run();
  return std::chrono::duration<double, std::nano>(clk::now() - t0).count();
}

/// Keeps freed memory in the process (no trimming, no mmap for blocks up to 32 MiB, glibc's
/// maximum): no run page-faults memory that an earlier one handed back to the kernel. And no
/// fastbins: with them, glibc coalesces small freed blocks later, all at once, in whichever call
/// next frees or allocates a large block — inside the timed region of a gather (its result
/// vectors), outside it for a task group: the same work charged to one and not the other
/// (gather 414 vs task group 300 ns/task with fastbins; 298 vs 307 without).
void keep_heap_mapped() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MXFAST, 0);
}

/// glibc sorts the blocks freed so far into its bins at the next large allocation: make that
/// happen now, outside the timed region, rather than in the next run's first large allocation.
void settle_heap() {
  void* p = std::malloc(256 << 10);
  if (p == nullptr) std::abort();
  *static_cast<volatile char*>(p) = 0;
  std::free(p);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct bench {
  std::string workload;
  std::string impl;
  std::string unit;
  double per;  // divide the measured nanoseconds by this
  std::function<double()> once;
};

/// The hand-written Asio way to join n co_spawned coroutines: a counter and a timer as the latch.
/// `cancellable`: every coroutine gets a cancellation signal, bound to its completion handler, as
/// a task group's children have (co_spawn then gives it a cancellation state, and every operation
/// it waits on connects to it).
template <typename Make>
corio::awaitable<void> raw_join(int n, Make make, bool cancellable = false) {
  auto ex = co_await asio::this_coro::executor;
  int remaining = n;
  std::vector<asio::cancellation_signal> signals(cancellable ? static_cast<std::size_t>(n) : 0);
  asio::steady_timer done(ex, clk::time_point::max());
  auto joined = [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    if (--remaining == 0) done.cancel();
  };
  for (int i = 0; i < n; ++i) {
    if (cancellable) {
      asio::co_spawn(ex, make(i), asio::bind_cancellation_slot(signals[static_cast<std::size_t>(i)].slot(), joined));
    } else {
      asio::co_spawn(ex, make(i), joined);
    }
  }
  co_await done.async_wait(asio::as_tuple(asio::deferred));  // cancelled: the latch opened
}

// --- 1. spawn + join of 100,000 tasks that return at once ------------------------------------
constexpr int spawn_n = 100'000;

corio::awaitable<void> instant() { co_return; }

corio::awaitable<void> raw_spawn_join() {
  co_await raw_join(spawn_n, [](int) { return instant(); });
}

/// gather's floor: the hand-written Asio equivalent — co_spawn every awaitable of a vector, each
/// completion fills its slot of a result vector, a counter and a timer as the latch.
corio::awaitable<std::vector<std::monostate>> raw_gather(std::vector<corio::awaitable<void>> aws) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::optional<std::monostate>> slots(aws.size());
  std::vector<std::monostate> out;
  out.reserve(aws.size());
  std::size_t remaining = aws.size();
  std::exception_ptr first;
  asio::steady_timer done(ex, clk::time_point::max());
  for (std::size_t i = 0; i < aws.size(); ++i) {
    asio::co_spawn(ex, std::move(aws[i]), [&, i](std::exception_ptr e) {
      if (e && !first) first = e;
      if (!e) slots[i].emplace();
      if (--remaining == 0) done.cancel();
    });
  }
  co_await done.async_wait(asio::as_tuple(asio::deferred));
  if (first) std::rethrow_exception(first);
  for (auto& v : slots) out.push_back(*v);
  co_return out;
}

corio::awaitable<void> raw_spawn_join_cancellable() {
  co_await raw_join(spawn_n, [](int) { return instant(); }, true);
}

corio::awaitable<void> raw_spawn_gather() {
  std::vector<corio::awaitable<void>> aws;
  aws.reserve(spawn_n);
  for (int i = 0; i < spawn_n; ++i) aws.push_back(instant());
  co_await raw_gather(std::move(aws));
}

corio::awaitable<void> corio_spawn_gather() {
  std::vector<corio::awaitable<void>> aws;
  aws.reserve(spawn_n);
  for (int i = 0; i < spawn_n; ++i) aws.push_back(instant());
  co_await corio::gather(std::move(aws));
}

corio::awaitable<void> corio_task_group() {
  co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < spawn_n; ++i) g.spawn(instant());
    co_return;
  });
}

corio::awaitable<void> corio_task_group_eager() {
  co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < spawn_n; ++i) g.spawn_eager(instant());
    co_return;
  });
}

corio::awaitable<void> corio_debug_task_group() {
  corio::enable_debug(asio::query(co_await asio::this_coro::executor, asio::execution::context));
  co_await corio_task_group();
}

// Every task attributed (corio::current_task() known in each): what that costs a spawn.
corio::awaitable<void> corio_attributed_task_group() {
  corio::attribute_tasks(asio::query(co_await asio::this_coro::executor, asio::execution::context));
  co_await corio_task_group();
}

// --- 2. 1,000,000 yields across 1,000 tasks ---------------------------------------------------
constexpr int yield_tasks = 1000, yields_each = 1000;

corio::awaitable<void> raw_yielder() {
  for (int i = 0; i < yields_each; ++i) co_await asio::post(co_await asio::this_coro::executor, asio::deferred);
}
corio::awaitable<void> corio_yielder() {
  for (int i = 0; i < yields_each; ++i) co_await corio::yield();
}

// The same post without naming the executor: Asio takes the coroutine's own and marks the post a
// continuation (queued without the scheduler's lock on a single-threaded run) — faster.
corio::awaitable<void> raw_yielder_continuation() {
  for (int i = 0; i < yields_each; ++i) co_await asio::post(asio::deferred);
}

corio::awaitable<void> raw_yields() {
  co_await raw_join(yield_tasks, [](int) { return raw_yielder(); });
}

corio::awaitable<void> raw_yields_continuation() {
  co_await raw_join(yield_tasks, [](int) { return raw_yielder_continuation(); });
}

corio::awaitable<void> corio_yields() {
  co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < yield_tasks; ++i) g.spawn(corio_yielder());
    co_return;
  });
}
corio::awaitable<void> corio_attributed_yields() {
  corio::attribute_tasks(asio::query(co_await asio::this_coro::executor, asio::execution::context));
  co_await corio_yields();
}

// --- 3. queue: one producer, one consumer, capacity 1024, 1,000,000 ints ----------------------
constexpr int queue_items = 1'000'000;

corio::awaitable<void> raw_channel() {
  auto ex = co_await asio::this_coro::executor;
  asio::experimental::channel<void(boost::system::error_code, int)> ch(ex, 1024);
  auto producer = [&]() -> corio::awaitable<void> {
    for (int i = 0; i < queue_items; ++i) co_await ch.async_send(boost::system::error_code{}, i, asio::deferred);
  };
  asio::co_spawn(ex, producer(), asio::detached);
  long sum = 0;
  for (int i = 0; i < queue_items; ++i) sum += co_await ch.async_receive(asio::deferred);
  if (sum < 0) std::abort();
}

corio::awaitable<void> corio_queue() {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q(1024);
  auto producer = [&]() -> corio::awaitable<void> {
    for (int i = 0; i < queue_items; ++i) co_await q.put(i);
  };
  auto p = corio::spawn(ex, producer());
  long sum = 0;
  for (int i = 0; i < queue_items; ++i) sum += co_await q.get();
  co_await p.wait();
  if (sum < 0) std::abort();
}

// --- 4. semaphore: 1,000 tasks, limit 10, 100 acquire/release each with a yield inside ---------
constexpr int sem_tasks = 1000, sem_rounds = 100;

corio::awaitable<void> raw_sem_worker(asio::experimental::channel<void(boost::system::error_code)>& tokens) {
  for (int i = 0; i < sem_rounds; ++i) {
    co_await tokens.async_send(boost::system::error_code{}, asio::deferred);  // acquire: blocks when 10 held
    co_await asio::post(asio::deferred);  // the same yield as corio::yield()
    tokens.try_receive([](boost::system::error_code) {});  // release
  }
}

corio::awaitable<void> raw_semaphore() {
  asio::experimental::channel<void(boost::system::error_code)> tokens(co_await asio::this_coro::executor, 10);
  co_await raw_join(sem_tasks, [&](int) { return raw_sem_worker(tokens); });
}

corio::awaitable<void> corio_sem_worker(corio::semaphore& sem) {
  for (int i = 0; i < sem_rounds; ++i) {
    auto g = co_await sem.acquire();
    co_await corio::yield();
  }
}

corio::awaitable<void> corio_semaphore() {
  corio::semaphore sem(10);
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < sem_tasks; ++i) g.spawn(corio_sem_worker(sem));
    co_return;
  });
}

// --- 5. timeouts: 100,000 sequential operations that finish at once ---------------------------
constexpr int timeout_ops = 100'000;

corio::awaitable<void> quick_op() { co_await asio::post(co_await asio::this_coro::executor, asio::deferred); }

corio::awaitable<void> raw_no_timeout() {
  for (int i = 0; i < timeout_ops; ++i) co_await quick_op();
}

corio::awaitable<void> raw_or_timer() {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  for (int i = 0; i < timeout_ops; ++i) {
    asio::steady_timer t(ex, 1s);
    co_await (quick_op() || t.async_wait(asio::use_awaitable));
  }
}

corio::awaitable<void> raw_timer_arm_cancel() {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer t(ex);
  for (int i = 0; i < timeout_ops; ++i) {
    t.expires_after(1s);
    t.async_wait([](boost::system::error_code) {});
    co_await quick_op();
    t.cancel();
  }
}

corio::awaitable<void> corio_wait_for() {
  for (int i = 0; i < timeout_ops; ++i) co_await corio::wait_for(quick_op(), 1s);
}

corio::awaitable<void> corio_with_timeout() {
  for (int i = 0; i < timeout_ops; ++i) co_await corio::with_timeout(1s, quick_op);
}

// --- 7. timer storm: 100,000 tasks sleeping random 0–100 ms -----------------------------------
constexpr int storm_n = 100'000;

std::vector<int> storm_delays() {
  std::mt19937 rng(42);
  std::vector<int> d(storm_n);
  for (auto& x : d) x = static_cast<int>(rng() % 101);
  return d;
}

corio::awaitable<void> raw_sleeper(int ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::deferred);
}

corio::awaitable<void> raw_storm() {
  const auto delays = storm_delays();
  co_await raw_join(storm_n, [&](int i) { return raw_sleeper(delays[static_cast<std::size_t>(i)]); });
}

corio::awaitable<void> raw_storm_cancellable() {
  const auto delays = storm_delays();
  co_await raw_join(storm_n, [&](int i) { return raw_sleeper(delays[static_cast<std::size_t>(i)]); }, true);
}

corio::awaitable<void> corio_storm() {
  co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
    for (int ms : storm_delays()) g.spawn(corio::sleep(std::chrono::milliseconds(ms)));
    co_return;
  });
}

// --- 8. to_thread round trip -------------------------------------------------------------------
constexpr int thread_trips = 20'000;

corio::awaitable<void> raw_thread_trips() {
  auto io = co_await asio::this_coro::executor;
  auto& pool = corio::default_thread_pool();
  for (int i = 0; i < thread_trips; ++i) {
    co_await asio::post(asio::bind_executor(pool.get_executor(), asio::deferred));
    co_await asio::post(asio::bind_executor(io, asio::deferred));
  }
}

corio::awaitable<void> corio_thread_trips() {
  for (int i = 0; i < thread_trips; ++i) co_await corio::to_thread([] {});
}

// --- 6. memory per idle task (one implementation per process) ----------------------------------
corio::awaitable<void> raw_idle() {
  asio::steady_timer t(co_await asio::this_coro::executor, 1h);
  co_await t.async_wait(asio::as_tuple(asio::deferred));
}

corio::awaitable<void> corio_idle_event(corio::event& ev) { co_await ev.wait(); }

int memory(const std::string& impl, long n) {
  asio::io_context ctx(1);
  corio::event ev;
  std::vector<corio::task<void>> tasks;
  if (impl.rfind("corio", 0) == 0) tasks.reserve(static_cast<std::size_t>(n));
  ctx.poll();
  const long before = rss_bytes();
  for (long i = 0; i < n; ++i) {
    if (impl == "asio-co_spawn-timer") asio::co_spawn(ctx, raw_idle(), asio::detached);
    else if (impl == "corio-spawn-event") tasks.push_back(corio::spawn(ctx, corio_idle_event(ev)));
    else if (impl == "corio-spawn-sleep") tasks.push_back(corio::spawn(ctx, corio::sleep(1h)));
    else {
      std::cerr << "unknown implementation " << impl << "\n";
      return 2;
    }
  }
  ctx.poll();  // every task has started and is now waiting
  const long after = rss_bytes();
  std::cout << "memory per idle task (N=" << n << ")\t" << impl << "\t"
            << static_cast<double>(after - before) / static_cast<double>(n) << "\tbytes/task\n";
  std::cout.flush();
  std::_Exit(0);  // tearing down a million frames is not what is measured
}

int report(const std::vector<bench>& benches, int repeats);

/// A count from 1 to `max`; 0, with a message naming `what`, for anything else.
long count_arg(const char* text, long max = 1000, const char* what = "the repeat count") {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 1 || v > max) {
    std::cerr << "bench-micro: " << what << " must be a whole number from 1 to " << max << ", got \"" << text
              << "\"\n";
    return 0;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "memory") {
    if (argc != 4) {
      std::cerr << "usage: bench-micro memory <asio-co_spawn-timer|corio-spawn-event|corio-spawn-sleep> <N>\n";
      return 2;
    }
    const long n = count_arg(argv[3], 10'000'000, "the number of tasks");
    if (n == 0) return 2;
    return memory(argv[2], n);
  }
  keep_heap_mapped();

  std::vector<bench> benches = {
      {"spawn+join 100k", "asio co_spawn+counter", "ns/task", spawn_n, [] { return run_ns(raw_spawn_join); }},
      {"spawn+join 100k", "asio co_spawn+counter, cancellable", "ns/task", spawn_n,
       [] { return run_ns(raw_spawn_join_cancellable); }},
      {"spawn+join 100k", "asio co_spawn+results", "ns/task", spawn_n, [] { return run_ns(raw_spawn_gather); }},
      {"spawn+join 100k", "corio gather", "ns/task", spawn_n, [] { return run_ns(corio_spawn_gather); }},
      {"spawn+join 100k", "corio task_group", "ns/task", spawn_n, [] { return run_ns(corio_task_group); }},
      {"spawn+join 100k", "corio task_group eager", "ns/task", spawn_n, [] { return run_ns(corio_task_group_eager); }},
      {"spawn+join 100k", "corio task_group debug", "ns/task", spawn_n, [] { return run_ns(corio_debug_task_group); }},
      {"spawn+join 100k", "corio task_group attributed", "ns/task", spawn_n,
       [] { return run_ns(corio_attributed_task_group); }},
      {"1M yields / 1k tasks", "asio post(ex)", "ns/yield", 1e6, [] { return run_ns(raw_yields); }},
      {"1M yields / 1k tasks", "asio post(deferred)", "ns/yield", 1e6, [] { return run_ns(raw_yields_continuation); }},
      {"1M yields / 1k tasks", "corio yield", "ns/yield", 1e6, [] { return run_ns(corio_yields); }},
      {"1M yields / 1k tasks", "corio yield attributed", "ns/yield", 1e6, [] { return run_ns(corio_attributed_yields); }},
      {"queue 1M ints cap 1024", "asio channel", "ns/item", queue_items, [] { return run_ns(raw_channel); }},
      {"queue 1M ints cap 1024", "corio queue", "ns/item", queue_items, [] { return run_ns(corio_queue); }},
      {"semaphore 1k tasks x100", "asio channel tokens", "ns/acquire", sem_tasks * sem_rounds,
       [] { return run_ns(raw_semaphore); }},
      {"semaphore 1k tasks x100", "corio semaphore", "ns/acquire", sem_tasks * sem_rounds,
       [] { return run_ns(corio_semaphore); }},
      {"timeout 100k quick ops", "asio no timeout", "ns/op", timeout_ops, [] { return run_ns(raw_no_timeout); }},
      {"timeout 100k quick ops", "asio op || timer", "ns/op", timeout_ops, [] { return run_ns(raw_or_timer); }},
      {"timeout 100k quick ops", "asio timer arm+cancel", "ns/op", timeout_ops,
       [] { return run_ns(raw_timer_arm_cancel); }},
      {"timeout 100k quick ops", "corio wait_for", "ns/op", timeout_ops, [] { return run_ns(corio_wait_for); }},
      {"timeout 100k quick ops", "corio with_timeout", "ns/op", timeout_ops, [] { return run_ns(corio_with_timeout); }},
      {"timer storm 100k x 0-100ms", "asio co_spawn+timer", "ms wall", 1e6, [] { return run_ns(raw_storm); }},
      {"timer storm 100k x 0-100ms", "asio co_spawn+timer, cancellable", "ms wall", 1e6,
       [] { return run_ns(raw_storm_cancellable); }},
      {"timer storm 100k x 0-100ms", "corio task_group+sleep", "ms wall", 1e6, [] { return run_ns(corio_storm); }},
      {"to_thread round trip", "asio post to pool and back", "ns/trip", thread_trips,
       [] { return run_ns(raw_thread_trips); }},
      {"to_thread round trip", "corio to_thread", "ns/trip", thread_trips, [] { return run_ns(corio_thread_trips); }},
  };
  if (argc >= 2 && std::string(argv[1]) == "--list") {
    for (const auto& b : benches) std::cout << b.workload << "\t" << b.impl << "\n";
    return 0;
  }
  if (argc >= 2 && std::string(argv[1]) == "--one") {
    if (argc < 4 || argc > 5) {
      std::cerr << "usage: bench-micro --one <workload> <implementation> [repeats]\n";
      return 2;
    }
    std::erase_if(benches, [&](const bench& b) { return b.workload != argv[2] || b.impl != argv[3]; });
    if (benches.empty()) {
      std::cerr << "bench-micro: no workload \"" << argv[2] << "\" with implementation \"" << argv[3]
                << "\" (see bench-micro --list)\n";
      return 2;
    }
    const int runs = argc == 5 ? static_cast<int>(count_arg(argv[4])) : 3;
    if (runs == 0) return 2;
    settle_heap();
    benches[0].once();  // warm-up: the heap and the caches reach their working size
    return report(benches, runs);
  }
  const int repeats = argc >= 2 ? static_cast<int>(count_arg(argv[1])) : 5;
  if (repeats == 0) return 2;
  // An optional second argument keeps only the workloads whose name contains it (for profiling).
  if (argc >= 3) {
    const std::string only = argv[2];
    std::erase_if(benches, [&](const bench& b) { return (b.workload + " " + b.impl).find(only) == std::string::npos; });
    if (benches.empty()) {
      std::cerr << "bench-micro: no workload matches \"" << only << "\"\n";
      return 2;
    }
  }
  return report(benches, repeats);
}

namespace {

/// Runs every bench `repeats` times, alternating, and prints the medians.
int report(const std::vector<bench>& benches, int repeats) {
  std::vector<std::vector<double>> results(benches.size());
  std::vector<std::vector<double>> cpu(benches.size());
  for (int r = 0; r < repeats; ++r) {
    for (std::size_t i = 0; i < benches.size(); ++i) {
      settle_heap();
      const double c0 = cpu_seconds();
      results[i].push_back(benches[i].once() / benches[i].per);
      cpu[i].push_back(cpu_seconds() - c0);
    }
  }
  for (std::size_t i = 0; i < benches.size(); ++i) {
    std::cout << benches[i].workload << "\t" << benches[i].impl << "\t" << median(results[i]) << "\t"
              << benches[i].unit << "\n";
    if (benches[i].workload.rfind("timer storm", 0) == 0) {
      std::cout << benches[i].workload << "\t" << benches[i].impl << "\t" << median(cpu[i]) * 1e3 << "\tms cpu\n";
    }
  }
  return 0;
}

}  // namespace
