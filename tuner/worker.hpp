// Isolation, the worker's side: `tuner ... --worker` sets up one Session (inputs, reference, copy bandwidth) and
// then runs the jobs the tuner sends (tuner/worker_protocol.hpp), replying with each finished record, until the
// tuner closes the socket or a sticky CUDA error leaves this process without a usable GPU context.
#pragma once
#include <ostream>

#include "tuner/problem.hpp"
#include "tuner/sweep.hpp"

namespace convmish {

// Exit codes of a worker: 0 the tuner closed the socket; 1 an unexpected error (reported on the socket first);
// 4 a sticky CUDA error (its record sent with "fatal": true).
inline constexpr int kWorkerExitFatalGpu = 4;

// Serves jobs read from `in_fd`, replies on `out_fd`. Never throws: an error that ends the worker is sent as an
// error message and turned into the exit code.
int run_worker(const Problem& p, const SweepOptions& o, int in_fd, int out_fd);

}  // namespace convmish
