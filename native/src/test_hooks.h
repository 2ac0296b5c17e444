// addon._test: direct access to each kernel set and to weight repacking, for test/native.
#pragma once
#include <napi.h>

namespace vmlx {

Napi::Object make_test_hooks(Napi::Env env);

struct KernelSet;
// The kernel set named by a test hook's argument: any set kernels_by_name knows, or "generic" (the element-wise
// kernels of the width-1 vector layer). Throws a JS error when it is not available on this CPU.
const KernelSet& test_kernel_set(const Napi::Value& v);
// The Gated DeltaNet kernel hooks (test_hooks_deltanet.cpp), added to the _test object.
void add_deltanet_test_hooks(Napi::Env env, Napi::Object& hooks);
// The sampler hook (test_hooks_sampler.cpp), added to the _test object.
void add_sampler_test_hooks(Napi::Env env, Napi::Object& hooks);

}  // namespace vmlx
