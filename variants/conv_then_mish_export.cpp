// tuner export --pytorch for the variants that run cuDNN's convolution and then Mish passes (cudnn.eager, mish.*):
// in the exported module torch.nn.functional.conv2d (cuDNN, algorithm by benchmarking like the tuner's cudnnFind,
// TF32 as the configuration says) replaces CudnnConv, and the variant's elementwise passes run as
// ConvThenMishInstance::launch_part(1) runs them, with the grid of mish_pass_blocks (kernels/common.cuh).
#include <algorithm>
#include <sstream>

#include "tuner/export.hpp"
#include "variants/conv_then_mish.hpp"

namespace convmish {
namespace {

ExportLaunch conv_then_mish(const ExportContext& ctx) {
  const auto& v = dynamic_cast<const ConvThenMishVariant&>(ctx.variant);
  const auto passes = v.passes(ctx.problem, ctx.config);
  ExportLaunch l;
  l.kind = ExportLaunch::Kind::kTorchConvThenMish;
  l.kernels = v.kernels(ctx.problem, ctx.config);
  l.conv_tf32 = ConvThenMishVariant::tf32(ctx.config);
  l.conv_bias = std::none_of(passes.begin(), passes.end(), [](const MishPassSpec& s) { return s.bias; });
  l.summary.push_back(std::string("torch.nn.functional.conv2d (cuDNN, algorithm by benchmarking; ") +
                      (l.conv_tf32 ? "TF32 tensor cores allowed" : "strict fp32") +
                      (l.conv_bias ? "; adds the bias)" : "; no bias)"));
  std::ostringstream s;
  s << "static std::string cm_mish_passes(float* y, const float* bias, long long n, long long pq, int K,\n"
       "                                  cudaStream_t s) {\n"
       "  (void)bias;\n"
       "  int device = 0, sms = 0, threads_per_sm = 0;\n"
       "  if (cudaGetDevice(&device) != cudaSuccess ||\n"
       "      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||\n"
       "      cudaDeviceGetAttribute(&threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, device) != cudaSuccess)\n"
       "    return cm_launch_error(\"device attributes\");\n";
  for (size_t i = 0; i < passes.size(); ++i) {
    const MishPassSpec& p = passes[i];
    const bool vec4 = p.kernel == "mish_vec4";
    std::ostringstream what;
    what << p.kernel << ": " << (p.bias ? "bias + " : "") << "Mish x" << p.count << " (" << mish_form_name(p.form)
         << "), " << p.block << " threads" << (vec4 ? ", " + std::to_string(p.vec) + " float4 per thread" : "")
         << (p.grid_stride ? ", grid-stride (one wave)" : "");
    l.summary.push_back("pass " + std::to_string(i + 1) + ": " + what.str());
    s << "  {  // pass " << i + 1 << ": " << what.str() << "\n"
      << "    const MishArgs a{y, " << (p.bias ? "bias" : "nullptr") << ", n, pq, K, " << p.count << "};\n"
      << "    const long long blocks = mish_pass_blocks(n, " << (vec4 ? "true" : "false") << ", " << p.block << ", "
      << p.vec << ", " << (p.grid_stride ? "true" : "false") << ", sms, threads_per_sm);\n"
      << "    " << p.kernel << "<<<dim3((unsigned)blocks), dim3(" << p.block << "), 0, s>>>(a);\n"
      << "    const std::string e = cm_launch_error(\"" << p.kernel << "\");\n"
      << "    if (!e.empty()) return e;\n"
      << "  }\n";
  }
  s << "  return std::string();\n}\n";
  l.launch = s.str();
  return l;
}

const bool registered = register_exporter(
    {[](const Variant& v) { return dynamic_cast<const ConvThenMishVariant*>(&v) != nullptr; }, conv_then_mish});

}  // namespace
}  // namespace convmish
