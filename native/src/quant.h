// The quantization types the engine reads, as a table of traits rather than a closed enum: each row says how to read
// one element's code out of a packed MLX row and how its group's stored scale (and bias) become the affine pair
// (s, b) with w = s * code + b. Every type is widened at load into one of the two packed layouts the dot kernels
// implement (Q4: codes < 16, Q8: codes < 256), so a new type costs a table row, not a kernel per instruction set.
// A 4-bit type whose values are not evenly spaced (MX FP4) keeps its 4-bit codes and names a 16-entry table that
// maps each to an evenly spaced code < 32; the kernels apply it with one byte shuffle where they unpack nibbles.
#pragma once
#include <cstdint>

#include "kernels/kernels.h"
#include "spec.h"

namespace vmlx {

struct QuantTraits {
  const char* mode;  // config.json quantization.mode
  int bits;          // bits per element in the file
  int groupSize;     // 0: any of 32, 64, 128; else the only one allowed
  bool biases;       // affine stores a bias per group; the fp modes do not
  WeightKind storage;
  // Element k of a packed row (MLX: a continuous LSB-first bit stream) as a code in the storage's range.
  uint8_t (*code)(const uint8_t* row, int64_t k);
  // The group's stored scale (and bias; 0 when the type has none) as the affine pair of the storage codes.
  void (*affine)(float scale, float bias, float* s, float* b);
  // Q4 storage only: the code each 4-bit file value stands for (kCodeTableSize entries), or nullptr for itself.
  // A table type's pair must have b = -codeZero * s (its codes are centred on the value 0): the packed weight keeps
  // only the scales.
  const uint8_t* codeTable;
  int codeZero;
};

// The row for (mode, bits), or nullptr.
const QuantTraits* find_quant(const std::string& mode, int bits);
// "affine bits 2, 3, 4, 5, 6, 8; mxfp4 bits 4" (for error messages).
std::string supported_quants();

}  // namespace vmlx
