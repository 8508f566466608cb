#include "tuner/job_runner.hpp"

#include "tuner/check.hpp"
#include "tuner/nvtx.hpp"

namespace convmish {

using nlohmann::json;

JobRunner::JobRunner(const Problem& p, const DeviceInfo& dev, const SweepOptions& o)
    : p_(p), dev_(dev), o_(o), session_(p, dev, o.timer, o.checks), compiler_(dev.cc_major, dev.cc_minor, o.cache_dir) {
  ready_ = {{"device", dev}, {"nvrtc_arch", dev.arch()}, {"copy_bandwidth", session_.copy_bandwidth()}};
}

JobRunner::~JobRunner() {
  for (auto& [index, pend] : pending_)
    for (auto& f : pend.futures) f.wait();
}

void JobRunner::prefetch(size_t index, const Job& job) {
  if (pending_.count(index)) return;
  Pending pend;
  pend.support = job.variant->supports(p_, job.config, dev_);
  if (pend.support.ok)
    for (const auto& spec : job.variant->kernels(p_, job.config)) pend.futures.push_back(compiler_.compile_async(spec));
  pending_.emplace(index, std::move(pend));
}

void JobRunner::discard(size_t index) {
  const auto it = pending_.find(index);
  if (it == pending_.end()) return;
  for (auto& f : it->second.futures) f.wait();
  pending_.erase(it);
}

JobResult JobRunner::run(size_t index, const Job& job, const Ahead& ahead) {
  prefetch(index, job);
  for (const auto& [i, j] : ahead) prefetch(i, *j);  // compiles while this one runs on the GPU
  Pending pend = std::move(pending_.at(index));
  pending_.erase(index);

  JobResult out;
  Record& rec = out.record;
  rec = job_record(index, job, o_.repeat);
  NvtxConfig config_range(rec.name(), rec.id);
  try {
    if (!pend.support.ok) {
      rec.status = Status::kUnsupported;
      rec.reason = pend.support.reason;
    } else {
      std::vector<CompiledKernel> compiled;
      {
        NvtxPhase<phase::Compile> range;
        for (auto& f : pend.futures) compiled.push_back(f.get());  // CompileError propagates
      }
      PreparedConfig prepared = session_.prepare(*job.variant, job.config, compiled);
      Instance* inst = prepared.instance.get();
      Buffers b = session_.buffers(prepared.workspace.get());
      rec.details.update(inst->details());
      if (!prepared.kernels.empty()) rec.details["kernels"] = prepared.kernels;
      rec.details["compile_ms"] = prepared.compile_ms;

      rec.verdict = session_.validate(*inst, rec.precision, b, o_.seed * 1000003u + uint64_t(index) + 1);
      if (!rec.verdict->pass) {
        rec.status = Status::kIncorrect;
        rec.reason = rec.verdict->summary();
      } else {
        rec.timing = session_.time(*inst, b);
        rec.status = Status::kOk;
        rec.tflops = p_.flops() / (rec.timing->median_ms * 1e-3) / 1e12;
        rec.gbps = p_.min_bytes() / (rec.timing->median_ms * 1e-3) / 1e9;
        if (const auto c = job.variant->ceiling(job.config, dev_); c && rec.timing->sm_clock_end_mhz)
          rec.details["ceiling"] = ceiling_json(*c, dev_.sm_count, *rec.timing->sm_clock_end_mhz, rec.tflops);
        if (!inst->parts().empty()) rec.details["parts"] = session_.time_parts(*inst, b);
      }
    }
  } catch (const CompileError& e) {
    rec.status = Status::kCompileError;
    rec.reason = e.what();
  } catch (const CudaError& e) {
    rec.status = e.code() == cudaErrorMemoryAllocation ? Status::kUnsupported : Status::kLaunchError;
    rec.reason = e.what();
    out.fatal = e.sticky();
  } catch (const CudnnError& e) {
    rec.status = Status::kUnsupported;
    rec.reason = e.what();
  } catch (const UsageError& e) {
    rec.status = Status::kUnsupported;
    rec.reason = e.what();
  }
  for (auto& f : pend.futures)
    if (f.valid()) f.wait();  // after an early failure, before the futures are destroyed
  cudaGetLastError();  // clear a non-sticky error so the next configuration starts clean
  return out;
}

}  // namespace convmish
