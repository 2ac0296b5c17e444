// addon._test: direct access to each kernel set and to weight repacking, for test/native.
#pragma once
#include <napi.h>

namespace vmlx {

Napi::Object make_test_hooks(Napi::Env env);

}  // namespace vmlx
