// N-API entry point of the vmlx native engine: cpuInfo, loadModel, the bandwidth and multiply-add probes, and the
// _test hooks.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

// Runs `probe` on its own thread (it keeps the CPU busy for a while) and settles a promise with its result.
Napi::Value run_probe(Napi::Env env, const char* name, std::function<double()> probe) {
  struct Job {
    Napi::Promise::Deferred deferred;
    Napi::ThreadSafeFunction tsfn;
    double result = 0;
    std::string error;
    explicit Job(Napi::Env e) : deferred(Napi::Promise::Deferred::New(e)) {}
  };
  auto job = std::make_shared<Job>(env);
  job->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), name, 0, 1);
  std::thread([job, probe = std::move(probe)] {
    try {
      job->result = probe();
    } catch (const std::exception& e) {
      job->error = e.what();
    }
    auto* keep = new std::shared_ptr<Job>(job);
    job->tsfn.BlockingCall(keep, [](Napi::Env env, Napi::Function, std::shared_ptr<Job>* p) {
      std::shared_ptr<Job> j = *p;
      delete p;
      if (!env) return;
      if (!j->error.empty()) j->deferred.Reject(Napi::Error::New(env, j->error).Value());
      else j->deferred.Resolve(Napi::Number::New(env, j->result));
    });
    job->tsfn.Release();
  }).detach();
  return job->deferred.Promise();
}

int thread_count_arg(const Napi::CallbackInfo& info) {
  const int threads = info[0].As<Napi::Number>().Int32Value();
  if (threads < 1 || threads > 256) throw Napi::RangeError::New(info.Env(), "threads must be between 1 and 256");
  return threads;
}

// Streaming-read bandwidth in GB/s: each thread reads its own slice of a buffer several times; the best pass counts.
Napi::Value MeasureBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "measureBandwidth(threads, bytes)");
  const int threads = thread_count_arg(info);
  const double bytesD = info[1].As<Napi::Number>().DoubleValue();
  if (!(bytesD >= (1 << 20) && bytesD <= 64.0 * (1ull << 30))) throw Napi::RangeError::New(env, "bytes must be between 1 MiB and 64 GiB");
  const size_t bytes = static_cast<size_t>(bytesD) / 4096 * 4096;
  return run_probe(env, "vmlx-bandwidth", [threads, bytes] {
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
    return best;  // the reads feed `sink` (an atomic), so they cannot be optimised away
  });
}

// Integer multiply-add peak of the active kernel set in G multiply-adds/s over `threads` threads (best of 5 passes
// of about 50 ms): the compute ceiling of prefill, as the bandwidth is the ceiling of decode.
Napi::Value MeasureDotPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "measureDotPeak(threads, activations?)");
  const int threads = thread_count_arg(info);
  ActMode mode = ActMode::Int16;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsString()) throw Napi::TypeError::New(env, "measureDotPeak: activations must be 'int16' or 'int8'");
    const std::string m = info[1].As<Napi::String>().Utf8Value();
    if (m == "int8") mode = ActMode::Int8;
    else if (m != "int16") throw Napi::RangeError::New(env, "measureDotPeak: activations must be 'int16' or 'int8', got '" + m + "'");
  }
  return run_probe(env, "vmlx-dot-peak", [threads, mode] {
    ThreadPool pool(threads);
    const KernelSet& k = kernels_active();
    // Calibrate rounds to ~50 ms on one thread, then time all threads together.
    uint64_t rounds = 1 << 16;
    for (;;) {
      const auto t0 = std::chrono::steady_clock::now();
      k.dot_peak(rounds, mode);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (s > 0.02 || rounds > (uint64_t{1} << 40)) {
        rounds = static_cast<uint64_t>(static_cast<double>(rounds) * 0.05 / std::max(s, 1e-6)) + 1;
        break;
      }
      rounds *= 4;
    }
    double best = 0;
    for (int i = 0; i < 5; i++) {
      std::atomic<uint64_t> macs{0};
      const auto t0 = std::chrono::steady_clock::now();
      pool.run([&](int, int) { macs += k.dot_peak(rounds, mode); });
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::max(best, static_cast<double>(macs.load()) / s / 1e9);
    }
    return best;
  });
}

// Gives the C heap's free pages back to the system (glibc keeps them: freed chunks scattered among live ones, and
// the tops of the per-thread arenas below the trim threshold). A model load and the first passes leave ~25 MB
// there (measured on Qwen3 and Qwen3.5 0.8B: the build's temporaries, the tokenizer thread's parse). Returns
// whether the allocator released anything; false where there is no such call (not glibc).
Napi::Value TrimMemory(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo, "cpuInfo"));
  exports.Set("loadModel", Napi::Function::New(env, LoadModel, "loadModel"));
  exports.Set("measureBandwidth", Napi::Function::New(env, MeasureBandwidth, "measureBandwidth"));
  exports.Set("measureDotPeak", Napi::Function::New(env, MeasureDotPeak, "measureDotPeak"));
  exports.Set("trimMemory", Napi::Function::New(env, TrimMemory, "trimMemory"));
  exports.Set("_test", make_test_hooks(env));
  return exports;
}

}  // namespace
}  // namespace vmlx

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return vmlx::Init(env, exports); }

NODE_API_MODULE(vmlx_native, InitModule)
