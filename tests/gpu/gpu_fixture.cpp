#include "gpu/gpu_fixture.hpp"

#include "tuner/device.hpp"

namespace convmish::testing {
bool gpu_available(std::string* why) { return gpu_count(why) > 0; }
}  // namespace convmish::testing
