#include "js_model.h"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "batch.h"
#include "errors.h"
#include "js_spec.h"
#include "model.h"
#include "session.h"
#include "work_queue.h"

namespace vmlx {

namespace {

struct SessionHandle {
  std::shared_ptr<ModelHandle> host;
  std::shared_ptr<Session> session;  // owned by the worker thread once created; freed there on dispose
  std::atomic<bool> disposed{false};
};


// Generation: tokens are queued by the worker and drained in batches on the JS thread. A consumer that stops reading
// (a client whose socket is full) pauses the job: the worker then waits after its next token instead of decoding
// into a queue nobody reads, until resume or cancel.
struct GenJob : PromiseJob {
  using PromiseJob::PromiseJob;
  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::condition_variable resumed;
  bool paused = false;  // guarded by mu
  std::vector<TokenEvent> pending;
  std::atomic<bool> scheduled{false};
  GenerationStats stats;

  void set_paused(bool value) {
    {
      std::lock_guard<std::mutex> lk(mu);
      paused = value;
    }
    resumed.notify_all();
  }
  void stop() {
    cancel.store(true);
    set_paused(false);
  }

  // Constrained decoding: before each sampling step the worker waits for JS's decision for that step (a token
  // bitmask, or "free"), given after JS has advanced its grammar with the previous token. The wait overlaps the
  // forward pass of that token, so it only costs time when the grammar is slower than a decode step.
  bool constrained = false;
  bool released = false;      // guarded by mu: no more decisions are coming; the rest is unconstrained
  bool haveDecision = false;  // guarded by mu
  bool decisionFree = false;  // guarded by mu
  std::vector<uint32_t> mask; // guarded by mu
  std::vector<uint32_t> stepMask;

  void decide(const Napi::Value& v) {
    {
      std::lock_guard<std::mutex> lk(mu);
      haveDecision = true;
      decisionFree = !v.IsTypedArray();
      if (!decisionFree) {
        Napi::Int32Array a = v.As<Napi::Int32Array>();
        mask.assign(reinterpret_cast<const uint32_t*>(a.Data()), reinterpret_cast<const uint32_t*>(a.Data()) + a.ElementLength());
      }
    }
    resumed.notify_all();
  }
  void release() {
    {
      std::lock_guard<std::mutex> lk(mu);
      released = true;
    }
    resumed.notify_all();
  }
  // Runs on the worker before sampling: waits for this step's decision and masks the disallowed logits.
  bool apply(float* logits, int vocab) {
    bool free;
    {
      std::unique_lock<std::mutex> lk(mu);
      resumed.wait(lk, [&] { return haveDecision || released || cancel.load(); });
      if (cancel.load()) return false;
      if (!haveDecision) return true;  // released
      haveDecision = false;
      free = decisionFree;
      if (!free) stepMask.swap(mask);
    }
    if (!free) mask_logits(logits, vocab, stepMask);
    return true;
  }
};

}  // namespace

Napi::Function noop(Napi::Env env) {
  return Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
}

Napi::Object event_object(Napi::Env env, const TokenEvent& ev) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("token", ev.token);
  if (ev.hasLogprob) o.Set("logprob", ev.logprob);
  if (!ev.topIds.empty()) {
    Napi::Int32Array ids = Napi::Int32Array::New(env, ev.topIds.size());
    Napi::Float32Array lps = Napi::Float32Array::New(env, ev.topIds.size());
    for (size_t i = 0; i < ev.topIds.size(); i++) ids[i] = ev.topIds[i], lps[i] = ev.topLogprobs[i];
    o.Set("topTokens", ids);
    o.Set("topLogprobs", lps);
  }
  return o;
}

namespace {

void drain(Napi::Env env, Napi::Function onTokens, GenJob* job) {
  job->scheduled.store(false);
  std::vector<TokenEvent> batch;
  {
    std::lock_guard<std::mutex> lk(job->mu);
    batch.swap(job->pending);
  }
  if (batch.empty() || !env) return;
  Napi::Array arr = Napi::Array::New(env, batch.size());
  for (size_t i = 0; i < batch.size(); i++) arr.Set(static_cast<uint32_t>(i), event_object(env, batch[i]));
  try {
    onTokens.Call({arr});
  } catch (const Napi::Error& e) {
    // A throwing consumer stops the generation; done rejects with its error.
    job->stop();
    if (job->error.empty()) job->error = std::string("onTokens threw: ") + e.Message();
  }
}

Napi::Object stats_object(Napi::Env env, const GenerationStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("promptTokens", s.promptTokens);
  o.Set("reusedTokens", s.reusedTokens);
  o.Set("generatedTokens", s.generatedTokens);
  o.Set("prefillMs", s.prefillMs);
  o.Set("decodeMs", s.decodeMs);
  o.Set("finishReason", s.finishReason);
  return o;
}

Napi::Value Generate(const Napi::CallbackInfo& info, const std::shared_ptr<SessionHandle>& sh) {
  Napi::Env env = info.Env();
  if (sh->disposed.load()) throw Napi::Error::New(env, "session is disposed");
  if (sh->host->disposed.load()) throw Napi::Error::New(env, "model is disposed");
  std::vector<int32_t> prompt = int32_vector(info[0], "prompt");
  if (!info[1].IsObject()) throw Napi::TypeError::New(env, "params must be an object");
  SamplingParams params = parse_sampling_params(info[1].As<Napi::Object>());
  if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "onTokens must be a function");
  auto job = std::make_shared<GenJob>(env);
  // Optional 4th argument: { mask: Int32Array | null } makes a constrained job; mask is the first step's decision.
  if (info.Length() > 3 && info[3].IsObject()) {
    job->constrained = true;
    job->decide(info[3].As<Napi::Object>().Get("mask"));
  }
  job->tsfn = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "vmlx-generate", 0, 1);
  sh->host->queue->post([job, sh, prompt = std::move(prompt), params = std::move(params)] {
    try {
      if (!sh->session) throw EngineError("session is disposed");
      job->stats = sh->session->generate(prompt, params, job->cancel, [&](TokenEvent&& ev) {
        {
          std::lock_guard<std::mutex> lk(job->mu);
          job->pending.push_back(std::move(ev));
        }
        if (!job->scheduled.exchange(true)) job->tsfn.NonBlockingCall(job.get(), drain);
        std::unique_lock<std::mutex> lk(job->mu);
        job->resumed.wait(lk, [&] { return !job->paused || job->cancel.load(); });
      }, job->constrained ? Session::Constrain([&](float* logits, int vocab) { return job->apply(logits, vocab); }) : nullptr);
    } catch (const std::exception& e) {
      job->error = e.what();
    }
    auto* keep = new std::shared_ptr<GenJob>(job);
    job->tsfn.BlockingCall(keep, [](Napi::Env env, Napi::Function onTokens, std::shared_ptr<GenJob>* p) {
      std::shared_ptr<GenJob> j = *p;
      delete p;
      if (!env) return;
      drain(env, onTokens, j.get());
      if (!j->error.empty()) j->deferred.Reject(Napi::Error::New(env, j->error).Value());
      else j->deferred.Resolve(stats_object(env, j->stats));
    });
    job->tsfn.Release();
  });
  Napi::Object o = Napi::Object::New(env);
  o.Set("cancel", Napi::Function::New(env, [job](const Napi::CallbackInfo&) { job->stop(); }, "cancel"));
  o.Set("pause", Napi::Function::New(env, [job](const Napi::CallbackInfo&) { job->set_paused(true); }, "pause"));
  o.Set("resume", Napi::Function::New(env, [job](const Napi::CallbackInfo&) { job->set_paused(false); }, "resume"));
  o.Set("setMask", Napi::Function::New(env, [job](const Napi::CallbackInfo& i) { job->decide(i[0]); }, "setMask"));
  o.Set("release", Napi::Function::New(env, [job](const Napi::CallbackInfo&) { job->release(); }, "release"));
  o.Set("done", job->deferred.Promise());
  return o;
}

// evaluate's options (argument i): { routerGaps?: true, routerFlip?: { layer, position } } (see RouterProbe); either
// asks for the probe, null when neither is given.
std::unique_ptr<RouterProbe> router_probe_option(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || info[i].IsUndefined()) return nullptr;
  if (!info[i].IsObject()) throw Napi::TypeError::New(env, "evaluate: options must be an object");
  const Napi::Object o = info[i].As<Napi::Object>();
  const Napi::Value gaps = o.Get("routerGaps"), flip = o.Get("routerFlip");
  if (!gaps.IsUndefined() && !gaps.IsBoolean()) throw Napi::TypeError::New(env, "evaluate: routerGaps must be a boolean");
  const bool wantGaps = gaps.IsBoolean() && gaps.As<Napi::Boolean>().Value();
  if (!wantGaps && flip.IsUndefined()) return nullptr;
  auto probe = std::make_unique<RouterProbe>();
  if (!flip.IsUndefined()) {
    const auto index = [&](const char* key) {
      const Napi::Value v = flip.IsObject() ? flip.As<Napi::Object>().Get(key) : env.Undefined();
      const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 0 && d <= 1e9 && d == std::floor(d)))
        throw Napi::TypeError::New(env, std::string("evaluate: routerFlip.") + key + " must be a non-negative integer");
      return static_cast<int>(d);
    };
    probe->flipLayer = index("layer");
    probe->flipPos = index("position");
  }
  return probe;
}

Napi::Value Evaluate(const Napi::CallbackInfo& info, const std::shared_ptr<SessionHandle>& sh) {
  Napi::Env env = info.Env();
  if (sh->disposed.load()) throw Napi::Error::New(env, "session is disposed");
  std::vector<int32_t> tokens = int32_vector(info[0], "tokens");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "topK must be a number");
  const int k = info[1].As<Napi::Number>().Int32Value();
  struct EvalJob : PromiseJob {
    using PromiseJob::PromiseJob;
    std::vector<int32_t> ids;
    std::vector<float> lps;
    std::unique_ptr<RouterProbe> probe;
  };
  auto job = std::make_shared<EvalJob>(env);
  job->probe = router_probe_option(info, 2);
  job->tsfn = Napi::ThreadSafeFunction::New(env, noop(env), "vmlx-evaluate", 0, 1);
  sh->host->queue->post([job, sh, tokens = std::move(tokens), k] {
    try {
      if (!sh->session) throw EngineError("session is disposed");
      sh->session->evaluate(tokens, k, job->ids, job->lps, job->probe.get());
    } catch (const std::exception& e) {
      job->error = e.what();
    }
    auto* keep = new std::shared_ptr<EvalJob>(job);
    job->tsfn.BlockingCall(keep, [](Napi::Env env, Napi::Function, std::shared_ptr<EvalJob>* p) {
      std::shared_ptr<EvalJob> j = *p;
      delete p;
      if (!env) return;
      if (!j->error.empty()) {
        j->deferred.Reject(Napi::Error::New(env, j->error).Value());
        return;
      }
      Napi::Object o = Napi::Object::New(env);
      Napi::Int32Array ids = Napi::Int32Array::New(env, j->ids.size());
      Napi::Float32Array lps = Napi::Float32Array::New(env, j->lps.size());
      std::copy(j->ids.begin(), j->ids.end(), ids.Data());
      std::copy(j->lps.begin(), j->lps.end(), lps.Data());
      o.Set("ids", ids);
      o.Set("logprobs", lps);
      if (j->probe) {
        Napi::Float32Array gaps = Napi::Float32Array::New(env, j->probe->gaps.size());
        std::copy(j->probe->gaps.begin(), j->probe->gaps.end(), gaps.Data());
        o.Set("routerGaps", gaps);
        o.Set("layers", j->probe->layers);
      }
      j->deferred.Resolve(o);
    });
    job->tsfn.Release();
  });
  return job->deferred.Promise();
}

}  // namespace

std::shared_ptr<PrefixCache> shared_cache(ModelHandle& host, double bytes) {
  if (!host.cache)
    host.cache = std::make_shared<PrefixCache>(static_cast<size_t>(bytes), host.model->kv_row_elems(), host.model->recurrent_state_bytes());
  return host.cache;
}

double kv_cache_bytes_option(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsObject()) return 0;
  const Napi::Value v = info[index].As<Napi::Object>().Get("kvCacheBytes");
  if (v.IsUndefined()) return 0;
  if (!v.IsNumber() || !(v.As<Napi::Number>().DoubleValue() >= 1))
    throw Napi::RangeError::New(info.Env(), "kvCacheBytes must be a positive number");
  return v.As<Napi::Number>().DoubleValue();
}

namespace {

Napi::Object session_object(Napi::Env env, const std::shared_ptr<ModelHandle>& host, int maxContext, double kvCacheBytes) {
  auto sh = std::make_shared<SessionHandle>();
  sh->host = host;
  // The KV cache (or the shared pool's arena) is allocated up front, synchronously so errors surface here.
  try {
    sh->session = std::make_shared<Session>(host->model, maxContext, kvCacheBytes > 0 ? shared_cache(*host, kvCacheBytes) : nullptr);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "cannot allocate a KV cache for " + std::to_string(maxContext) + " tokens");
  } catch (const EngineError& e) {
    throw Napi::Error::New(env, e.what());
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("generate", Napi::Function::New(env, [sh](const Napi::CallbackInfo& i) { return Generate(i, sh); }, "generate"));
  o.Set("evaluate", Napi::Function::New(env, [sh](const Napi::CallbackInfo& i) { return Evaluate(i, sh); }, "evaluate"));
  o.Set("cachedTokens", Napi::Function::New(env, [sh](const Napi::CallbackInfo& i) -> Napi::Value {
          return Napi::Number::New(i.Env(), sh->disposed.load() || !sh->session ? 0 : sh->session->cached_tokens());
        }, "cachedTokens"));
  o.Set("reset", Napi::Function::New(env, [sh](const Napi::CallbackInfo&) {
          sh->host->queue->post([sh] {
            if (sh->session) sh->session->reset();
          });
        }, "reset"));
  o.Set("dispose", Napi::Function::New(env, [sh](const Napi::CallbackInfo&) {
          if (sh->disposed.exchange(true)) return;
          // Freed on the worker, after any job still using it.
          sh->host->queue->post([sh] { sh->session.reset(); });
        }, "dispose"));
  return o;
}

Napi::Object model_object(Napi::Env env, const std::shared_ptr<ModelHandle>& host) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("createSession", Napi::Function::New(env, [host](const Napi::CallbackInfo& i) -> Napi::Value {
          Napi::Env e = i.Env();
          if (host->disposed.load()) throw Napi::Error::New(e, "model is disposed");
          if (!i[0].IsNumber()) throw Napi::TypeError::New(e, "maxContext must be a number");
          const double n = i[0].As<Napi::Number>().DoubleValue();
          if (!(n >= 1 && n <= 1 << 24)) throw Napi::RangeError::New(e, "maxContext must be between 1 and 16777216");
          const double kvCacheBytes = kv_cache_bytes_option(i, 1);
          return session_object(e, host, static_cast<int>(n), kvCacheBytes);
        }, "createSession"));
  o.Set("createBatch", Napi::Function::New(env, [host](const Napi::CallbackInfo& i) -> Napi::Value {
          Napi::Env e = i.Env();
          if (host->disposed.load()) throw Napi::Error::New(e, "model is disposed");
          if (!i[0].IsNumber() || !i[1].IsNumber()) throw Napi::TypeError::New(e, "createBatch(maxContext, slots): numbers expected");
          const double n = i[0].As<Napi::Number>().DoubleValue(), slots = i[1].As<Napi::Number>().DoubleValue();
          if (!(n >= 1 && n <= 1 << 24)) throw Napi::RangeError::New(e, "maxContext must be between 1 and 16777216");
          if (!(slots >= 1 && slots <= 1024)) throw Napi::RangeError::New(e, "slots must be between 1 and 1024");
          return batch_object(e, host, static_cast<int>(n), static_cast<int>(slots), kv_cache_bytes_option(i, 2));
        }, "createBatch"));
  o.Set("maxStepTokens", Napi::Number::New(env, Model::kChunk));
  o.Set("weightBytes", Napi::Function::New(env, [host](const Napi::CallbackInfo& i) -> Napi::Value {
          return Napi::Number::New(i.Env(), host->model ? static_cast<double>(host->model->weight_bytes()) : 0);
        }, "weightBytes"));
  o.Set("lazyWeights", Napi::Function::New(env, [host](const Napi::CallbackInfo& i) -> Napi::Value {
          Napi::Object r = Napi::Object::New(i.Env());
          const LazyWeightStore* store = host->model ? host->model->lazy_weights() : nullptr;
          r.Set("slots", Napi::Number::New(i.Env(), store ? static_cast<double>(store->size()) : 0));
          r.Set("packed", Napi::Number::New(i.Env(), store ? static_cast<double>(store->packed_count()) : 0));
          r.Set("packedBytes", Napi::Number::New(i.Env(), store ? static_cast<double>(store->packed_bytes()) : 0));
          return r;
        }, "lazyWeights"));
  o.Set("kernels", Napi::String::New(env, host->model->kernels().name));
  o.Set("cacheFigures", Napi::Function::New(env, [host](const Napi::CallbackInfo& i) -> Napi::Value {
          if (!host->cache) return i.Env().Null();
          const CacheFigures f = host->cache->figures();
          Napi::Object r = Napi::Object::New(i.Env());
          r.Set("blocks", f.blocks);
          r.Set("freeBlocks", f.freeBlocks);
          r.Set("blockBytes", static_cast<double>(f.blockBytes));
          r.Set("blockTokens", KvPool::kBlockTokens);
          r.Set("cachedBlocks", f.cachedBlocks);
          r.Set("snapshots", f.snapshots);
          r.Set("sequenceBlockRefs", static_cast<double>(f.sequenceRefs));
          r.Set("lookups", f.lookups);
          r.Set("hits", f.hits);
          r.Set("promptTokens", f.promptTokens);
          r.Set("cachedTokens", f.cachedTokens);
          r.Set("evictions", f.evictions);
          r.Set("outOfMemory", f.outOfMemory);
          return r;
        }, "cacheFigures"));
  o.Set("dispose", Napi::Function::New(env, [host](const Napi::CallbackInfo&) {
          if (host->disposed.exchange(true)) return;
          // Let queued jobs finish; the worker drops the last reference to the model when its queue is empty.
          host->queue->post([host] { host->model.reset(); });
          host->queue->close();
        }, "dispose"));
  return o;
}

}  // namespace

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "loadModel: spec must be an object");
  ModelSpec spec = parse_model_spec(info[0].As<Napi::Object>());
  const KernelSet* kernels = spec.kernels.empty() ? &kernels_active() : kernels_by_name(spec.kernels.c_str());
  if (!kernels) throw Napi::Error::New(env, "model spec: kernels '" + spec.kernels + "' is not available on this CPU");
  Napi::Function progress = info[1].IsFunction() ? info[1].As<Napi::Function>() : noop(env);
  struct LoadJob : PromiseJob {
    using PromiseJob::PromiseJob;
    std::shared_ptr<ModelHandle> host;
  };
  auto job = std::make_shared<LoadJob>(env);
  job->tsfn = Napi::ThreadSafeFunction::New(env, progress, "vmlx-load", 0, 1);
  job->host = std::make_shared<ModelHandle>();
  job->host->queue = std::make_shared<WorkQueue>();
  job->host->queue->post([job, kernels, spec = std::move(spec)] {
    try {
      auto report = [job](double f) {
        job->tsfn.NonBlockingCall(new double(f), [](Napi::Env env, Napi::Function cb, double* v) {
          const double f = *v;
          delete v;
          if (!env) return;
          try {
            cb.Call({Napi::Number::New(env, f)});
          } catch (const Napi::Error&) {
            // A failing progress callback must not break loading.
          }
        });
      };
      job->host->model = std::make_shared<Model>(spec, *kernels, report);
    } catch (const std::bad_alloc&) {
      job->error = "out of memory while loading the model";
    } catch (const std::exception& e) {
      job->error = e.what();
    }
    auto* keep = new std::shared_ptr<LoadJob>(job);
    job->tsfn.BlockingCall(keep, [](Napi::Env env, Napi::Function, std::shared_ptr<LoadJob>* p) {
      std::shared_ptr<LoadJob> j = *p;
      delete p;
      if (!env) return;
      if (!j->error.empty()) {
        j->host->queue->close();
        j->deferred.Reject(Napi::Error::New(env, j->error).Value());
        return;
      }
      j->deferred.Resolve(model_object(env, j->host));
    });
    job->tsfn.Release();
  });
  return job->deferred.Promise();
}

}  // namespace vmlx
