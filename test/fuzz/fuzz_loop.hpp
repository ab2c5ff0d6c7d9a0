// The test loop options every fuzz target runs its inputs under.
#pragma once

#include <corio/testing.hpp>

#include <chrono>

namespace corio::fuzz {

/// A 2 s deadlock grace, and posting order (seed 0): the same input runs the same way every time.
inline corio::testing::options loop_options() {
  corio::testing::options o;
  o.deadlock_grace = std::chrono::milliseconds(2000);
  o.schedule_seed = 0;
  return o;
}

}  // namespace corio::fuzz
