// Turns tensors in mapped safetensors files into the layouts the kernels read (PackedWeight), validating
// every dtype and shape on the way. Quantized weights are repacked into 16-row tiles; never dequantized.
#pragma once
#include <cstdlib>
#include <memory>
#include <vector>

#include "kernels/kernels.h"
#include "mapped_file.h"
#include "spec.h"

namespace vmlx {

class ThreadPool;

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuf = std::unique_ptr<uint8_t, AlignedFree>;
AlignedBuf aligned_alloc_bytes(size_t bytes);  // 64-byte aligned, zero-filled

// A packed weight and the memory behind it.
struct OwnedWeight {
  PackedWeight w{};
  AlignedBuf data, scales, biases;
  size_t bytes = 0;  // what one full matmul reads
};

OwnedWeight pack_weight(const WeightRef& ref, FileSet& files, ThreadPool& pool);
// The same from raw bytes (codes/float data, scales, biases in the dtypes `ref` names); used by the test hooks.
OwnedWeight pack_weight_bytes(const WeightRef& ref, const uint8_t* codes, const uint8_t* scales, const uint8_t* biases,
                              ThreadPool& pool);
// Throws EngineError for unsupported bits/group sizes or a non-U32 code tensor.
void check_quant_params(const WeightRef& ref);

// A float vector (norm weights, Linear biases) of exactly n elements.
std::vector<float> load_vector(const TensorRef& ref, FileSet& files, int64_t n);

// Dequantizes (or converts) one row of a packed weight: the embedding lookup.
void weight_row(const PackedWeight& w, int row, float* out);

}  // namespace vmlx
