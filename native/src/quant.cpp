#include "quant.h"

#include <cmath>
#include <string>

namespace vmlx {
namespace {

// Bits [k*B, (k+1)*B) of the row's bit stream; B <= 8 spans at most two bytes.
template <int B>
uint8_t stream_code(const uint8_t* row, int64_t k) {
  const int64_t bit = k * B;
  const int shift = static_cast<int>(bit & 7);
  uint32_t v = row[bit >> 3];
  if (shift + B > 8) v |= static_cast<uint32_t>(row[(bit >> 3) + 1]) << 8;
  return static_cast<uint8_t>((v >> shift) & ((1u << B) - 1));
}

void affine_pair(float scale, float bias, float* s, float* b) {
  *s = scale;
  *b = bias;
}

// MX FP4 (E2M1) values: magnitudes {0, .5, 1, 1.5, 2, 3, 4, 6}, sign in bit 3. Doubled they are the integers
// {0, 1, 2, 3, 4, 6, 8, 12}, so 2v + 12 is a code in [0, 24] and w = (scale / 2) * code - 6 * scale exactly. The file's
// nibbles are stored as they are (4 bits per weight, as in the file) and mapped through this table in the kernels.
constexpr uint8_t kMxfp4Codes[kCodeTableSize] = {12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0};
constexpr bool codes_below(const uint8_t* t, int n, int limit) { return n == 0 || (t[0] < limit && codes_below(t + 1, n - 1, limit)); }
static_assert(codes_below(kMxfp4Codes, kCodeTableSize, kMaxTableCode), "the kernels take table codes < kMaxTableCode");

// E8M0 scale byte e: 2^(e - 127). Both halves of the pair are powers of two times 1 or 1.5: exact in bfloat16.
void mxfp4_pair(float scale, float, float* s, float* b) {
  const float x = std::ldexp(1.0f, static_cast<int>(scale) - 127);
  *s = x / 2;
  *b = -6 * x;
}

const QuantTraits kTable[] = {
    {"affine", 2, 0, true, WeightKind::Q4, stream_code<2>, affine_pair, nullptr, 0},
    {"affine", 3, 0, true, WeightKind::Q4, stream_code<3>, affine_pair, nullptr, 0},
    {"affine", 4, 0, true, WeightKind::Q4, stream_code<4>, affine_pair, nullptr, 0},
    {"affine", 5, 0, true, WeightKind::Q8, stream_code<5>, affine_pair, nullptr, 0},
    {"affine", 6, 0, true, WeightKind::Q8, stream_code<6>, affine_pair, nullptr, 0},
    {"affine", 8, 0, true, WeightKind::Q8, stream_code<8>, affine_pair, nullptr, 0},
    {"mxfp4", 4, 32, false, WeightKind::Q4, stream_code<4>, mxfp4_pair, kMxfp4Codes, 12},
};

}  // namespace

const QuantTraits* find_quant(const std::string& mode, int bits) {
  for (const QuantTraits& t : kTable)
    if (mode == t.mode && bits == t.bits) return &t;
  return nullptr;
}

std::string supported_quants() {
  std::string out, mode;
  for (const QuantTraits& t : kTable) {
    if (mode != t.mode) {
      out += (out.empty() ? "" : "; ") + std::string(t.mode) + " bits ";
      mode = t.mode;
    } else {
      out += ", ";
    }
    out += std::to_string(t.bits);
  }
  return out;
}

}  // namespace vmlx
