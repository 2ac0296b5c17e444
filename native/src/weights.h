// Turns tensors in mapped safetensors files into the layouts the kernels read (PackedWeight), validating
// every dtype and shape on the way. Quantized weights are repacked into 16-row tiles; never dequantized.
#pragma once
#include <cstdlib>
#include <memory>
#include <vector>

#include "kernels/kernels.h"
#include "mapped_file.h"
#include "quant.h"
#include "spec.h"

namespace vmlx {

class ThreadPool;

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuf = std::unique_ptr<uint8_t, AlignedFree>;
// 64-byte aligned, zero-filled. With hugePages, a buffer of 2 MiB or more is 2 MiB aligned and advised to be backed
// by transparent huge pages.
AlignedBuf aligned_alloc_bytes(size_t bytes, bool hugePages = false);

// Packed weights are sub-allocated from large blocks backed by transparent huge pages: decode streams every weight
// once per token, and with 4 KiB pages that is a TLB miss per 4 KiB read (measured: the 4-bit GEMV reads ~17 GB/s per
// core on huge pages against ~14.5 on small ones). One arena per model; not thread-safe (packing allocates serially).
class WeightArena {
 public:
  // minBlock: the smallest block to reserve (0: exactly what each allocation needs).
  explicit WeightArena(size_t minBlock) : minBlock_(minBlock) {}
  // 64-byte aligned, zero-filled, followed by at least 64 bytes of slack.
  uint8_t* alloc(size_t bytes);

 private:
  struct Block {
    AlignedBuf mem;
    size_t size, used;
  };
  size_t minBlock_;
  std::vector<Block> blocks_;
};

// A packed weight and the memory behind it (its own arena, or a share of the model's).
struct OwnedWeight {
  PackedWeight w{};
  std::shared_ptr<WeightArena> memory;
  size_t bytes = 0;  // what one full matmul reads
};

OwnedWeight pack_weight(const WeightRef& ref, FileSet& files, ThreadPool& pool, std::shared_ptr<WeightArena> arena);
// The same from raw bytes (codes/float data, scales, biases in the dtypes `ref` names); used by the test hooks.
// Without an arena the weight gets one of its own.
OwnedWeight pack_weight_bytes(const WeightRef& ref, const uint8_t* codes, const uint8_t* scales, const uint8_t* biases,
                              ThreadPool& pool, std::shared_ptr<WeightArena> arena = nullptr);
// The traits row for the weight (quant.h); throws EngineError for an unsupported mode, bits or group size.
const QuantTraits& check_quant_params(const WeightRef& ref);

// A stacked expert tensor [experts, rows, cols] (MLX SwitchLinear: codes [E, rows, cols*bits/32], scales and biases
// [E, rows, groups]) checked whole (dtypes, shapes, file bounds), then split into one 2-D WeightRef per expert that
// points at that expert's bytes in the file.
std::vector<WeightRef> split_experts(const WeightRef& ref, int experts, int rows, int cols, FileSet& files);

// A float vector (norm weights, Linear biases) of exactly n elements.
std::vector<float> load_vector(const TensorRef& ref, FileSet& files, int64_t n);
// A float tensor of exactly this shape, row-major (e.g. a depthwise conv kernel [channels, kernel, 1]).
std::vector<float> load_floats(const TensorRef& ref, FileSet& files, const std::vector<int64_t>& shape);

// Dequantizes (or converts) one row of a packed weight: the embedding lookup.
void weight_row(const PackedWeight& w, int row, float* out);

}  // namespace vmlx
