// AddressSanitizer's defaults for every fuzz target (ASAN_OPTIONS still overrides any of them).
//
// quarantine_size_mb=64 (ASan's default is 256): a freed block stays poisoned until 64 MB of later
// frees have pushed it out, so a use after free is still caught when it comes within that much
// freeing — one input of these targets frees well under 1 MB, so that covers the input itself and
// the many inputs after it. With 256 MB, each input's allocations land on memory the process has
// not touched for a long time: a page fault per new page (a third of the CPU time of a simple
// request went to the kernel, half of it to those faults).
extern "C" const char* __asan_default_options();  // (ASan calls it at start-up)
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=64"; }
