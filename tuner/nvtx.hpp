// NVTX ranges in the suite's own domain ("convmish"), so Nsight Systems and Nsight Compute show phases and
// configurations by name: phases as registered strings (no per-call string cost), configurations as
// "variant/param:value/..." with the record id as payload.
#pragma once
#include <cstdint>
#include <string>

#include <nvtx3/nvtx3.hpp>

namespace convmish {

struct NvtxDomain {
  static constexpr const char* name{"convmish"};
};

#define CONVMISH_NVTX_PHASE(tag, text)                                             \
  struct tag {                                                                     \
    static constexpr const char* message{text};                                    \
  };

namespace phase {
CONVMISH_NVTX_PHASE(Compile, "compile")
CONVMISH_NVTX_PHASE(Reference, "reference")
CONVMISH_NVTX_PHASE(Validate, "validate")
CONVMISH_NVTX_PHASE(Warmup, "warm-up")
CONVMISH_NVTX_PHASE(Measure, "measure")
CONVMISH_NVTX_PHASE(Sweep, "sweep")
}  // namespace phase

// A range named by a phase tag: NvtxPhase<phase::Validate> r;
template <typename Tag>
class NvtxPhase {
 public:
  NvtxPhase() : r_(nvtx3::event_attributes{nvtx3::registered_string_in<NvtxDomain>::get<Tag>()}) {}

 private:
  nvtx3::scoped_range_in<NvtxDomain> r_;
};

// A range for one configuration, with the record id as payload.
class NvtxConfig {
 public:
  NvtxConfig(const std::string& name, int64_t id)
      : r_(nvtx3::event_attributes{name, nvtx3::payload{id}, nvtx3::rgb{118, 185, 0}}) {}

 private:
  nvtx3::scoped_range_in<NvtxDomain> r_;
};

}  // namespace convmish
