// NVTX ranges in the suite's own domain ("convmish"), so Nsight Systems and Nsight Compute show phases and
// configurations by name: phases as registered strings (no per-call string cost) in category "phase",
// configurations as "variant/param:value/..." with the record id as payload in category "configuration".
// CONVMISH_NVTX=0 in the environment (or tuner --no-nvtx, which sets it for child processes too) turns every
// range off, so that the overhead can be measured: a switch read once, then one branch per range.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <nvtx3/nvtx3.hpp>

namespace convmish {

struct NvtxDomain {
  static constexpr const char* name{"convmish"};
};

namespace nvtx_detail {
inline bool& enabled_flag() {
  static bool on = [] {
    const char* e = std::getenv("CONVMISH_NVTX");
    return !(e && std::string(e) == "0");
  }();
  return on;
}
struct CategoryPhase {
  static constexpr const char* name{"phase"};
  static constexpr uint32_t id{1};
};
struct CategoryConfig {
  static constexpr const char* name{"configuration"};
  static constexpr uint32_t id{2};
};
}  // namespace nvtx_detail

// Whether ranges are emitted (default on; CONVMISH_NVTX=0 turns them off).
inline bool nvtx_enabled() { return nvtx_detail::enabled_flag(); }
// Turns ranges on or off for this process and, through CONVMISH_NVTX, for the processes it starts. Call it
// before any range is opened (at the start of main).
inline void set_nvtx_enabled(bool on) {
  nvtx_detail::enabled_flag() = on;
  ::setenv("CONVMISH_NVTX", on ? "1" : "0", 1);
}

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
  NvtxPhase() {
    if (nvtx_enabled())
      r_.emplace(nvtx3::event_attributes{nvtx3::registered_string_in<NvtxDomain>::get<Tag>(),
                                         nvtx3::named_category_in<NvtxDomain>::get<nvtx_detail::CategoryPhase>()});
  }

 private:
  std::optional<nvtx3::scoped_range_in<NvtxDomain>> r_;
};

// A range for one configuration, with the record id as payload.
class NvtxConfig {
 public:
  NvtxConfig(const std::string& name, int64_t id) {
    if (nvtx_enabled())
      r_.emplace(nvtx3::event_attributes{name, nvtx3::payload{id}, nvtx3::rgb{118, 185, 0},
                                         nvtx3::named_category_in<NvtxDomain>::get<nvtx_detail::CategoryConfig>()});
  }

 private:
  std::optional<nvtx3::scoped_range_in<NvtxDomain>> r_;
};

}  // namespace convmish
