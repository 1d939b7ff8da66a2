#pragma once

#include <cstddef>

namespace nbexec::notebook::detail {

// Maps in, in one system call, the whole pages of [data, data + size) that are about to be
// written. A fresh allocation of a long string (base64 image data, most of a notebook's bytes)
// otherwise takes one page fault per 4 KiB page as it is filled: for a 50 MB notebook that is
// ~12,000 traps into the kernel, about 15% of a read + write (docs/benchmarks.md, case 4). Only
// pages wholly inside the range are touched, so memory use is what the write would make it.
// Best effort: kernels before 5.14 (no MADV_POPULATE_WRITE) and failures change nothing.
void prefault_for_write(void* data, std::size_t size) noexcept;

}  // namespace nbexec::notebook::detail
