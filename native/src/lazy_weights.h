// Weights packed on first use, from a file mapping that outlives the load. A mixture-of-experts layer reads topK of
// its E experts per token: packing every expert at load would make all of them resident, so each expert stays in
// the (lazily paged) mapping until a token is first routed to it.
#pragma once
#include <memory>
#include <mutex>
#include <vector>

#include "mapped_file.h"
#include "spec.h"
#include "weights.h"

namespace vmlx {

class ThreadPool;

class LazyWeightStore {
 public:
  explicit LazyWeightStore(std::shared_ptr<WeightArena> arena) : arena_(std::move(arena)) {}
  // Registers a weight (already validated against its file); returns its slot.
  int add(WeightRef ref);
  // The packed weight of a slot, packing it now on first use. Thread-safe; the reference stays valid.
  const OwnedWeight& get(int slot, ThreadPool& pool);
  // The bytes of the slot's tensors in the file (what one use reads, give or take the packed scales' dtype).
  size_t file_bytes(int slot) const;
  // How many slots there are, how many are packed (resident), and their bytes.
  size_t size() const;
  size_t packed_count() const;
  size_t packed_bytes() const;

 private:
  mutable std::mutex mu_;
  FileSet files_;
  std::shared_ptr<WeightArena> arena_;
  std::vector<WeightRef> refs_;
  std::vector<std::unique_ptr<OwnedWeight>> packed_;
};

}  // namespace vmlx
