#include "lazy_weights.h"

namespace vmlx {

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
    files_.release(r.weight.file, r.weight.offset, r.weight.byteLength);
    if (r.quantized) files_.release(r.scales.file, r.scales.offset, r.scales.byteLength);
    if (r.hasBiases) files_.release(r.biases.file, r.biases.offset, r.biases.byteLength);
  }
  return *p;
}

size_t LazyWeightStore::file_bytes(int slot) const {
  std::lock_guard<std::mutex> lock(mu_);
  const WeightRef& r = refs_.at(static_cast<size_t>(slot));
  return r.weight.byteLength + (r.quantized ? r.scales.byteLength : 0) + (r.hasBiases ? r.biases.byteLength : 0);
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
