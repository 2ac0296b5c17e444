// loadModel() and the NativeModel / NativeSession / NativeJob / NativeBatch objects it hands to JavaScript.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <string>

#include "model.h"
#include "prefix_cache.h"
#include "sampler.h"
#include "work_queue.h"

namespace vmlx {

Napi::Value LoadModel(const Napi::CallbackInfo& info);

// A loaded model and the worker thread that runs all of its jobs in order.
struct ModelHandle {
  std::shared_ptr<Model> model;
  // The paged KV pool and prefix cache every paged session and batch of this model shares (made by the first one).
  std::shared_ptr<PrefixCache> cache;
  std::shared_ptr<WorkQueue> queue;
  std::atomic<bool> disposed{false};
};

// A job whose result settles a Promise on the JS thread through a thread-safe function.
struct PromiseJob {
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
  std::string error;
  explicit PromiseJob(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

Napi::Function noop(Napi::Env env);
Napi::Object event_object(Napi::Env env, const TokenEvent& ev);

// The model's shared prefix cache of `bytes` (made on first use; later calls share it whatever their size). Throws
// EngineError when the budget holds no block.
std::shared_ptr<PrefixCache> shared_cache(ModelHandle& host, double bytes);
// The kvCacheBytes option of createSession / createBatch (0 when absent: no shared pool).
double kv_cache_bytes_option(const Napi::CallbackInfo& info, size_t index);

// model.createBatch(maxContext, slots, { kvCacheBytes }) (js_batch.cpp).
Napi::Object batch_object(Napi::Env env, const std::shared_ptr<ModelHandle>& host, int maxContext, int slots, double kvCacheBytes);

}  // namespace vmlx
