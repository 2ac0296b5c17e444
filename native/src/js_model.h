// loadModel() and the NativeModel / NativeSession / NativeJob objects it hands to JavaScript.
#pragma once
#include <napi.h>

namespace vmlx {

Napi::Value LoadModel(const Napi::CallbackInfo& info);

}  // namespace vmlx
