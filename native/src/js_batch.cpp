// model.createBatch(): the NativeBatch object. Its step(plan) posts one batched pass to the model's worker thread
// and resolves with what each sequence fed and sampled; the scheduler in TypeScript decides every plan.
#include <memory>
#include <vector>

#include "batch.h"
#include "errors.h"
#include "js_model.h"
#include "js_spec.h"

namespace vmlx {

namespace {

struct BatchHandle {
  std::shared_ptr<ModelHandle> host;
  std::shared_ptr<Batch> batch;  // used and freed on the worker thread
  std::atomic<bool> disposed{false};
};

int int_field(const Napi::Object& o, const char* name, int fallback) {
  const Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("batch plan: ") + name + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

std::vector<Batch::Entry> parse_plan(const Napi::Value& v, int vocab, const KernelSet& kernels) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "batch plan must be an array");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<Batch::Entry> plan(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    if (!arr.Get(i).IsObject()) throw Napi::TypeError::New(v.Env(), "batch plan entries must be objects");
    Napi::Object o = arr.Get(i).As<Napi::Object>();
    Batch::Entry& e = plan[i];
    e.id = int_field(o, "id", -1);
    e.remove = o.Get("remove").ToBoolean();
    e.preempt = o.Get("preempt").ToBoolean();
    e.hold = o.Get("hold").ToBoolean();
    e.slot = int_field(o, "slot", -1);
    e.feed = int_field(o, "feed", 0);
    const Napi::Value start = o.Get("start");
    if (start.IsObject()) {
      Napi::Object so = start.As<Napi::Object>();
      if (!so.Get("params").IsObject()) throw Napi::TypeError::New(v.Env(), "batch plan: start.params must be an object");
      std::vector<int32_t> hints;
      if (so.Has("checkpointHints") && !so.Get("checkpointHints").IsUndefined())
        hints = int32_vector(so.Get("checkpointHints"), "start.checkpointHints");
      e.start = std::make_unique<SequenceRun>(int32_vector(so.Get("prompt"), "start.prompt"),
                                              parse_sampling_params(so.Get("params").As<Napi::Object>()), vocab,
                                              kernels, std::move(hints));
    }
    const Napi::Value mask = o.Get("mask");
    if (mask.IsTypedArray()) {
      Napi::Int32Array a = mask.As<Napi::Int32Array>();
      e.hasMask = true;
      e.mask.assign(reinterpret_cast<const uint32_t*>(a.Data()), reinterpret_cast<const uint32_t*>(a.Data()) + a.ElementLength());
    }
  }
  return plan;
}

Napi::Value results_array(Napi::Env env, const std::vector<Batch::Result>& results) {
  Napi::Array arr = Napi::Array::New(env, results.size());
  for (size_t i = 0; i < results.size(); i++) {
    const Batch::Result& r = results[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", r.id);
    o.Set("fed", r.fed);
    if (r.reused >= 0) o.Set("reused", r.reused);
    if (r.held) o.Set("held", true);
    if (r.hasEvent) o.Set("event", event_object(env, r.event));
    if (!r.finish.empty()) o.Set("finish", r.finish);
    if (!r.cacheError.empty()) o.Set("cacheError", r.cacheError);
    arr.Set(static_cast<uint32_t>(i), o);
  }
  return arr;
}

Napi::Value Step(const Napi::CallbackInfo& info, const std::shared_ptr<BatchHandle>& bh) {
  Napi::Env env = info.Env();
  if (bh->disposed.load()) throw Napi::Error::New(env, "batch is disposed");
  if (bh->host->disposed.load()) throw Napi::Error::New(env, "model is disposed");
  struct StepJob : PromiseJob {
    using PromiseJob::PromiseJob;
    std::vector<Batch::Entry> plan;
    std::vector<Batch::Result> results;
  };
  auto job = std::make_shared<StepJob>(env);
  job->plan = parse_plan(info[0], bh->host->model->vocab(), bh->host->model->kernels());
  job->tsfn = Napi::ThreadSafeFunction::New(env, noop(env), "vmlx-batch-step", 0, 1);
  bh->host->queue->post([job, bh] {
    try {
      if (!bh->batch) throw EngineError("batch is disposed");
      job->results = bh->batch->step(job->plan);
    } catch (const std::bad_alloc&) {
      job->error = "out of memory in a batched step";
    } catch (const std::exception& e) {
      job->error = e.what();
    }
    auto* keep = new std::shared_ptr<StepJob>(job);
    job->tsfn.BlockingCall(keep, [](Napi::Env env, Napi::Function, std::shared_ptr<StepJob>* p) {
      std::shared_ptr<StepJob> j = *p;
      delete p;
      if (!env) return;
      if (!j->error.empty()) j->deferred.Reject(Napi::Error::New(env, j->error).Value());
      else j->deferred.Resolve(results_array(env, j->results));
    });
    job->tsfn.Release();
  });
  return job->deferred.Promise();
}

}  // namespace

Napi::Object batch_object(Napi::Env env, const std::shared_ptr<ModelHandle>& host, int maxContext, int slots, double kvCacheBytes) {
  auto bh = std::make_shared<BatchHandle>();
  bh->host = host;
  try {
    bh->batch = std::make_shared<Batch>(host->model, maxContext, slots, kvCacheBytes > 0 ? shared_cache(*host, kvCacheBytes) : nullptr);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "cannot allocate " + std::to_string(slots) + " sequences of " + std::to_string(maxContext) + " tokens");
  } catch (const EngineError& e) {
    throw Napi::Error::New(env, e.what());
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("step", Napi::Function::New(env, [bh](const Napi::CallbackInfo& i) { return Step(i, bh); }, "step"));
  o.Set("reset", Napi::Function::New(env, [bh](const Napi::CallbackInfo&) {
          bh->host->queue->post([bh] {
            if (bh->batch) bh->batch->reset();
          });
        }, "reset"));
  o.Set("dispose", Napi::Function::New(env, [bh](const Napi::CallbackInfo&) {
          if (bh->disposed.exchange(true)) return;
          bh->host->queue->post([bh] { bh->batch.reset(); });
        }, "dispose"));
  return o;
}

}  // namespace vmlx
