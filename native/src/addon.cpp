// N-API entry point of the vmlx native engine: cpuInfo, loadModel, measureBandwidth and the _test hooks.
#include <napi.h>

#include <chrono>
#include <memory>
#include <thread>

#include "js_model.h"
#include "kernels/kernels.h"
#include "test_hooks.h"
#include "threadpool.h"
#include "weights.h"

namespace vmlx {
namespace {

Napi::Object CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  __builtin_cpu_init();
  o.Set("avx2", __builtin_cpu_supports("avx2") != 0);
  o.Set("fma", __builtin_cpu_supports("fma") != 0);
  o.Set("avx512f", __builtin_cpu_supports("avx512f") != 0);
  o.Set("avx512bw", __builtin_cpu_supports("avx512bw") != 0);
  o.Set("avx512vnni", __builtin_cpu_supports("avx512vnni") != 0);
  o.Set("avx512bf16", __builtin_cpu_supports("avx512bf16") != 0);
  o.Set("kernels", kernels_active().name);
  return o;
}

// Streaming-read bandwidth: each thread reads its own slice of a buffer several times; the best pass counts.
Napi::Value MeasureBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "measureBandwidth(threads, bytes)");
  const int threads = info[0].As<Napi::Number>().Int32Value();
  const double bytesD = info[1].As<Napi::Number>().DoubleValue();
  if (threads < 1 || threads > 256) throw Napi::RangeError::New(env, "threads must be between 1 and 256");
  if (!(bytesD >= (1 << 20) && bytesD <= 64.0 * (1ull << 30))) throw Napi::RangeError::New(env, "bytes must be between 1 MiB and 64 GiB");
  struct Job {
    Napi::Promise::Deferred deferred;
    Napi::ThreadSafeFunction tsfn;
    double gbps = 0;
    std::string error;
    explicit Job(Napi::Env e) : deferred(Napi::Promise::Deferred::New(e)) {}
  };
  auto job = std::make_shared<Job>(env);
  job->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "vmlx-bandwidth", 0, 1);
  const size_t bytes = static_cast<size_t>(bytesD) / 4096 * 4096;
  std::thread([job, threads, bytes] {
    try {
      ThreadPool pool(threads);
      AlignedBuf buf = aligned_alloc_bytes(bytes, true);  // huge pages, as the weights have
      const KernelSet& k = kernels_active();
      std::atomic<uint64_t> sink{0};
      auto pass = [&] {
        pool.run([&](int ith, int nth) {
          const size_t per = bytes / nth / 4096 * 4096;
          sink += k.read_bytes(buf.get() + per * ith, per);
        });
      };
      pass();  // first touch already happened in aligned_alloc_bytes (memset); warm the TLB
      const int passes = static_cast<int>(std::max<size_t>(3, std::min<size_t>(50, (size_t(4) << 30) / bytes)));
      double best = 0;
      for (int i = 0; i < passes; i++) {
        const auto t0 = std::chrono::steady_clock::now();
        pass();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const size_t read = bytes / threads / 4096 * 4096 * threads;
        best = std::max(best, read / s / 1e9);
      }
      job->gbps = best;  // the reads feed `sink` (an atomic), so they cannot be optimised away
    } catch (const std::exception& e) {
      job->error = e.what();
    }
    auto* keep = new std::shared_ptr<Job>(job);
    job->tsfn.BlockingCall(keep, [](Napi::Env env, Napi::Function, std::shared_ptr<Job>* p) {
      std::shared_ptr<Job> j = *p;
      delete p;
      if (!env) return;
      if (!j->error.empty()) j->deferred.Reject(Napi::Error::New(env, j->error).Value());
      else j->deferred.Resolve(Napi::Number::New(env, j->gbps));
    });
    job->tsfn.Release();
  }).detach();
  return job->deferred.Promise();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo, "cpuInfo"));
  exports.Set("loadModel", Napi::Function::New(env, LoadModel, "loadModel"));
  exports.Set("measureBandwidth", Napi::Function::New(env, MeasureBandwidth, "measureBandwidth"));
  exports.Set("_test", make_test_hooks(env));
  return exports;
}

}  // namespace
}  // namespace vmlx

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return vmlx::Init(env, exports); }

NODE_API_MODULE(vmlx_native, InitModule)
