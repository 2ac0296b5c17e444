// Reading NativeModelSpec / NativeSamplingParams objects from JavaScript (throws Napi::TypeError naming the field).
#pragma once
#include <napi.h>

#include "sampler.h"
#include "spec.h"

namespace vmlx {

ModelSpec parse_model_spec(const Napi::Object& o);
SamplingParams parse_sampling_params(const Napi::Object& o);
WeightRef parse_weight(const Napi::Object& o, const std::string& path);
std::vector<int32_t> int32_vector(const Napi::Value& v, const std::string& what);

}  // namespace vmlx
