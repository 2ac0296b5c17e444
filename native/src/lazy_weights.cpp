#include "lazy_weights.h"

namespace vmlx {

namespace {
// f(tensor) for each file tensor a weight reads: its codes (or floats), and its scales and biases when it has them.
template <class F>
void for_each_tensor(const WeightRef& r, F f) {
  f(r.weight);
  if (r.quantized) f(r.scales);
  if (r.hasBiases) f(r.biases);
}
}  // namespace

int LazyWeightStore::add(WeightRef ref) {
  std::lock_guard<std::mutex> lock(mu_);
  refs_.push_back(std::move(ref));
  packed_.emplace_back();
  return static_cast<int>(refs_.size() - 1);
}

const OwnedWeight& LazyWeightStore::get(int slot, ThreadPool& pool) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<OwnedWeight>& p = packed_.at(static_cast<size_t>(slot));
  if (!p) {
    const WeightRef& r = refs_[slot];
    p = std::make_unique<OwnedWeight>(pack_weight(r, files_, pool, arena_));
    // The packed copy is what runs from now on: the mapped pages it was read from leave the resident set, or a MoE
    // model would hold each used expert twice (file pages plus packed tiles).
    for_each_tensor(r, [&](const TensorRef& t) { files_.release(t.file, t.offset, t.byteLength); });
  }
  return *p;
}

size_t LazyWeightStore::file_bytes(int slot) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t bytes = 0;
  for_each_tensor(refs_.at(static_cast<size_t>(slot)), [&](const TensorRef& t) { bytes += t.byteLength; });
  return bytes;
}

size_t LazyWeightStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refs_.size();
}

size_t LazyWeightStore::packed_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& p : packed_) n += p ? 1 : 0;
  return n;
}

size_t LazyWeightStore::packed_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& p : packed_) n += p ? p->bytes : 0;
  return n;
}

}  // namespace vmlx
