// Test-only variants (linked into tuner_faults, never into the tuner): a kernel that writes far out of bounds
// (a sticky CUDA error), one that never finishes, and one that computes a wrong result. The isolation test runs
// them in a real sweep beside good variants: they must come out as launch_error, timeout and incorrect, and
// leave the good variants' results as they are without them.
#include <functional>

#include "tuner/check.hpp"
#include "tuner/rtc.hpp"
#include "tuner/variant.hpp"

namespace convmish {
namespace {

// What a fault variant's launch does with its one kernel.
using FaultLaunch = std::function<void(const Problem&, const LoadedKernel&, const Buffers&, cudaStream_t)>;

// The parts every fault variant shares: one fp32 configuration, one kernel from the given file, an Instance that
// runs `launch` (with `workspace` bytes of workspace).
class FaultVariant : public Variant {
 public:
  FaultVariant(std::string id, std::string description, KernelSpec spec, FaultLaunch launch, size_t workspace = 0)
      : id_(std::move(id)), description_(std::move(description)), spec_(std::move(spec)),
        launch_(std::move(launch)), workspace_(workspace) {
    space_.add("block", {32}, "threads per block");
  }
  std::string id() const override { return id_; }
  std::string description() const override { return description_; }
  std::string precision(const Config&) const override { return "fp32"; }
  const ParamSpace& space() const override { return space_; }
  std::vector<KernelSpec> kernels(const Problem&, const Config&) const override { return {spec_}; }
  std::unique_ptr<Instance> instantiate(const Problem& p, const Config&, std::vector<LoadedKernel> k,
                                        const LaunchEnv&) const override {
    struct Inst : Instance {
      Problem p;
      LoadedKernel k;
      FaultLaunch run;
      size_t workspace = 0;
      size_t workspace_bytes() const override { return workspace; }
      void launch(const Buffers& b, cudaStream_t s) override { run(p, k, b, s); }
    };
    auto i = std::make_unique<Inst>();
    i->p = p;
    i->k = k.at(0);
    i->run = launch_;
    i->workspace = workspace_;
    return i;
  }

 private:
  std::string id_, description_;
  KernelSpec spec_;
  FaultLaunch launch_;
  size_t workspace_;
  ParamSpace space_;
};

class OobWrite : public FaultVariant {
 public:
  OobWrite()
      : FaultVariant("test.oob_write", "test only: writes far out of bounds (illegal address, a sticky error)",
                     KernelSpec{"fault_kernels.cu", "test_oob_write", {}},
                     [](const Problem& p, const LoadedKernel& k, const Buffers& b, cudaStream_t s) {
                       ConvMishArgs a = p.args(b.x, b.w, b.b, b.y);
                       convmish::launch(k, dim3(1), dim3(32), 0, s, a);
                     }) {}
};

class Spin : public FaultVariant {
 public:
  Spin()
      : FaultVariant("test.spin", "test only: spins forever on a flag nothing sets (the watchdog's case)",
                     KernelSpec{"fault_kernels.cu", "test_spin", {}},
                     [](const Problem& p, const LoadedKernel& k, const Buffers& b, cudaStream_t s) {
                       ConvMishArgs a = p.args(b.x, b.w, b.b, b.y);
                       const int* flag = static_cast<const int*>(b.workspace);
                       CUDA_CHECK(cudaMemsetAsync(b.workspace, 0, sizeof(int), s));
                       convmish::launch(k, dim3(1), dim3(32), 0, s, a, flag);
                     },
                     sizeof(int)) {}
};

class Wrong : public FaultVariant {
 public:
  Wrong()
      : FaultVariant("test.wrong", "test only: the naive fused kernel with one Mish application too few",
                     KernelSpec{"conv_naive_fused.cu", "conv_naive_fused", {{"BLOCK", "32"}}},
                     [](const Problem& p, const LoadedKernel& k, const Buffers& b, cudaStream_t s) {
                       ConvMishArgs a = p.args(b.x, b.w, b.b, b.y);
                       a.mish_count = a.mish_count > 0 ? a.mish_count - 1 : 1;  // wrong whatever --mish-count says
                       convmish::launch(k, dim3(unsigned((p.y_elems() + 31) / 32)), dim3(32), 0, s, a);
                     }) {}
};

}  // namespace
CONVMISH_REGISTER_VARIANT(OobWrite);
CONVMISH_REGISTER_VARIANT(Spin);
CONVMISH_REGISTER_VARIANT(Wrong);
}  // namespace convmish
