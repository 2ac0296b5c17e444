#include "weights.h"

#include <algorithm>
#include <cstring>
#include <sys/mman.h>
#include <string>

#include "errors.h"
#include "half.h"
#include "quant.h"
#include "threadpool.h"

namespace vmlx {

namespace {

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::U8: return "U8";
    default: return "U32";
  }
}

size_t dtype_size(DType d) { return d == DType::U8 ? 1 : d == DType::F16 || d == DType::BF16 ? 2 : 4; }

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); i++) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

[[noreturn]] void fail(const TensorRef& t, const std::string& what) {
  throw EngineError("tensor " + t.name + " in " + t.file + ": " + what);
}

// Checks shape, dtype size and file bounds; returns a pointer to the (possibly unaligned) bytes.
const uint8_t* tensor_bytes(const TensorRef& t, FileSet& files, const std::vector<int64_t>& shape) {
  if (t.shape != shape) fail(t, "shape " + shape_str(t.shape) + ", expected " + shape_str(shape));
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  if (t.byteLength != n * dtype_size(t.dtype))
    fail(t, "byte length " + std::to_string(t.byteLength) + " does not match shape " + shape_str(shape) + " of " +
                dtype_name(t.dtype));
  const MappedFile& f = files.get(t.file);
  if (t.offset > f.size() || t.byteLength > f.size() - t.offset)
    fail(t, "data [" + std::to_string(t.offset) + ", " + std::to_string(t.offset + t.byteLength) +
                ") lies beyond the end of the file (" + std::to_string(f.size()) + " bytes): truncated file?");
  return f.data() + t.offset;
}

float read_float(const uint8_t* p, DType d, size_t i) {
  if (d == DType::U8) return p[i];  // an E8M0 scale's exponent byte (the quant traits turn it into a scale)
  if (d == DType::F32) {
    float f;
    std::memcpy(&f, p + 4 * i, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, p + 2 * i, 2);
  return d == DType::F16 ? vmlx_f16_to_f32(h) : vmlx_bf16_to_f32(h);
}

void check_float_dtype(const TensorRef& t) {
  if (t.dtype == DType::U32 || t.dtype == DType::U8)
    fail(t, std::string("dtype ") + dtype_name(t.dtype) + " where a float tensor (F32, F16, BF16) is expected");
}

}  // namespace

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Not zero-filled and not touched: pages become resident (huge where advised) when first written.
AlignedBuf raw_alloc(size_t bytes, bool hugePages, size_t* size) {
  const bool huge = hugePages && bytes >= kHugePage;
  const size_t align = huge ? kHugePage : 64;
  *size = round_up(huge ? bytes : bytes + 64, align);
  void* p = std::aligned_alloc(align, *size);
  if (!p) throw EngineError("out of memory allocating " + std::to_string(bytes) + " bytes");
#ifdef MADV_HUGEPAGE
  if (huge) madvise(p, *size, MADV_HUGEPAGE);  // advice only: without THP the memory keeps small pages
#endif
  return AlignedBuf(static_cast<uint8_t*>(p));
}

}  // namespace

AlignedBuf aligned_alloc_bytes(size_t bytes, bool hugePages) {
  size_t n = 0;
  AlignedBuf b = raw_alloc(bytes, hugePages, &n);
  std::memset(b.get(), 0, n);
  return b;
}

uint8_t* WeightArena::alloc(size_t bytes) {
  const size_t need = round_up(bytes, 64) + 64;
  if (blocks_.empty() || blocks_.back().size - blocks_.back().used < need) {
    size_t size = 0;
    AlignedBuf mem = raw_alloc(std::max(minBlock_, need), true, &size);
    blocks_.push_back({std::move(mem), size, 0});
  }
  Block& b = blocks_.back();
  uint8_t* p = b.mem.get() + b.used;
  b.used += need;
  // Only what is handed out is touched, so the unused tail of the last block never becomes resident.
  std::memset(p, 0, need);
  return p;
}

OwnedWeight pack_weight(const WeightRef& ref, FileSet& files, ThreadPool& pool, std::shared_ptr<WeightArena> arena) {
  if (ref.rows <= 0 || ref.cols <= 0) fail(ref.weight, "empty weight");
  if (!ref.quantized) {
    check_float_dtype(ref.weight);
    return pack_weight_bytes(ref, tensor_bytes(ref.weight, files, {ref.rows, ref.cols}), nullptr, nullptr, pool, arena);
  }
  const QuantTraits& qt = check_quant_params(ref);
  if (qt.biases) {
    check_float_dtype(ref.scales);
    check_float_dtype(ref.biases);
  } else if (ref.scales.dtype != DType::U8) {
    fail(ref.scales, std::string(qt.mode) + " scales must be U8 (E8M0), got " + dtype_name(ref.scales.dtype));
  }
  const int64_t words = static_cast<int64_t>(ref.cols) * ref.bits / 32;
  const int groups = ref.cols / ref.groupSize;
  const uint8_t* codes = tensor_bytes(ref.weight, files, {ref.rows, words});
  const uint8_t* scales = tensor_bytes(ref.scales, files, {ref.rows, groups});
  const uint8_t* biases = qt.biases ? tensor_bytes(ref.biases, files, {ref.rows, groups}) : nullptr;
  return pack_weight_bytes(ref, codes, scales, biases, pool, arena);
}

const QuantTraits& check_quant_params(const WeightRef& ref) {
  const int bits = ref.bits, gs = ref.groupSize;
  const QuantTraits* qt = find_quant(ref.mode, bits);
  if (!qt)
    fail(ref.weight, "quantization mode " + ref.mode + " bits=" + std::to_string(bits) + " is not supported (supported: " +
                         supported_quants() + ")");
  if (qt->groupSize ? gs != qt->groupSize : (gs != 32 && gs != 64 && gs != 128))
    fail(ref.weight, "quantization group_size=" + std::to_string(gs) + " is not supported for " + ref.mode + " (supported: " +
                         (qt->groupSize ? std::to_string(qt->groupSize) : std::string("32, 64, 128")) + ")");
  if (ref.cols % gs != 0)
    fail(ref.weight, "input size " + std::to_string(ref.cols) + " is not a multiple of group_size " + std::to_string(gs));
  if (ref.weight.dtype != DType::U32) fail(ref.weight, std::string("quantized weight must be U32, got ") + dtype_name(ref.weight.dtype));
  if (qt->biases != ref.hasBiases)
    fail(ref.weight, std::string(qt->mode) + (qt->biases ? " needs" : " has no") + " per-group biases");
  return *qt;
}

namespace {
// The bfloat16 of a float that has one (its low 16 bits are zero); a type whose pair is not exact is a table bug.
uint16_t bf16_exact(float f, const WeightRef& ref) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (u & 0xffffu) fail(ref.scales, "scale " + std::to_string(f) + " is not exact in bfloat16");
  return static_cast<uint16_t>(u >> 16);
}
}  // namespace

OwnedWeight pack_weight_bytes(const WeightRef& ref, const uint8_t* codes, const uint8_t* scales, const uint8_t* biases,
                              ThreadPool& pool, std::shared_ptr<WeightArena> arena) {
  OwnedWeight o;
  o.memory = arena ? std::move(arena) : std::make_shared<WeightArena>(0);
  PackedWeight& w = o.w;
  w.rows = ref.rows;
  w.cols = ref.cols;
  w.tiles = (ref.rows + kTileRows - 1) / kTileRows;
  if (!ref.quantized) {
    w.kind = ref.weight.dtype == DType::F32 ? WeightKind::F32 : ref.weight.dtype == DType::F16 ? WeightKind::F16 : WeightKind::BF16;
    const size_t bytes = static_cast<size_t>(ref.rows) * ref.cols * dtype_size(ref.weight.dtype);
    uint8_t* data = o.memory->alloc(bytes);
    std::memcpy(data, codes, bytes);
    w.data = data;
    o.bytes = bytes;
    return o;
  }
  const QuantTraits& qt = check_quant_params(ref);
  const int bits = ref.bits, gs = ref.groupSize;
  const int64_t words = static_cast<int64_t>(ref.cols) * bits / 32;
  const int groups = ref.cols / gs;
  const int storeBits = qt.storage == WeightKind::Q4 ? 4 : 8;
  w.kind = qt.storage;
  w.bits = storeBits;
  w.groupSize = gs;
  w.groups = groups;
  const size_t rowBytes = static_cast<size_t>(words) * 4;
  const size_t tileBytes = static_cast<size_t>(kTileRows) * ref.cols * storeBits / 8;
  const size_t sbCount = static_cast<size_t>(w.tiles) * groups * kTileRows;
  uint8_t* dst = o.memory->alloc(tileBytes * w.tiles);
  // bfloat16 affine scales/biases are kept as they are (exact), and so are the power-of-two pairs of the types
  // without biases (an E8M0 scale's (s, b) is exact in bfloat16: 2 bytes, not 4, per group); the rest become float32.
  w.sbBf16 = qt.biases ? ref.scales.dtype == DType::BF16 && ref.biases.dtype == DType::BF16 : true;
  w.codeTable = qt.codeTable;
  w.codeZero = qt.codeZero;
  // A table weight's bias is -codeZero * scale (kernels.h): only its scales are stored.
  const bool storeBiases = qt.codeTable == nullptr;
  const size_t sbBytes = w.sbBf16 ? 2 : 4;
  uint8_t* sc = o.memory->alloc(sbCount * sbBytes);
  uint8_t* bi = storeBiases ? o.memory->alloc(sbCount * sbBytes) : nullptr;
  w.data = dst;
  w.scales = sc;
  w.biases = bi;
  float* ds = reinterpret_cast<float*>(sc);
  float* db = reinterpret_cast<float*>(bi);
  uint16_t* hs = reinterpret_cast<uint16_t*>(sc);
  uint16_t* hb = reinterpret_cast<uint16_t*>(bi);
  const int per = storeBits == 4 ? 4 : 2;  // elements per 32-byte chunk
  // The file's own layout already is the storage's (MLX 4 and 8 bit): move bytes; otherwise decode each code.
  const bool native4 = qt.storage == WeightKind::Q4 && bits == 4, native8 = qt.storage == WeightKind::Q8 && bits == 8;
  const DType sdt = ref.scales.dtype, bdt = ref.biases.dtype;
  pool.parallel_for(w.tiles, [&](int t0, int t1) {
    for (int t = t0; t < t1; t++) {
      const int nrows = ref.rows - t * kTileRows < kTileRows ? ref.rows - t * kTileRows : kTileRows;
      uint8_t* out = dst + tileBytes * t;
      for (int g = 0; g < groups; g++) {
        for (int c = 0; c < gs / per; c++, out += 32) {
          for (int i = 0; i < nrows; i++) {
            const uint8_t* row = codes + rowBytes * (static_cast<size_t>(t) * kTileRows + i);
            const int64_t k = static_cast<int64_t>(g) * gs + c * per;
            if (native4) {
              // Source bytes: (e0 | e1 << 4), (e2 | e3 << 4); wanted: (e0 | e2 << 4), (e1 | e3 << 4).
              const uint8_t b0 = row[k / 2], b1 = row[k / 2 + 1];
              out[2 * i] = static_cast<uint8_t>((b0 & 0x0f) | (b1 << 4));
              out[2 * i + 1] = static_cast<uint8_t>((b0 >> 4) | (b1 & 0xf0));
            } else if (native8) {
              out[2 * i] = row[k];
              out[2 * i + 1] = row[k + 1];
            } else if (per == 4) {
              out[2 * i] = static_cast<uint8_t>(qt.code(row, k) | qt.code(row, k + 2) << 4);
              out[2 * i + 1] = static_cast<uint8_t>(qt.code(row, k + 1) | qt.code(row, k + 3) << 4);
            } else {
              out[2 * i] = qt.code(row, k);
              out[2 * i + 1] = qt.code(row, k + 1);
            }
          }
        }
        for (int i = 0; i < nrows; i++) {
          const size_t src = (static_cast<size_t>(t) * kTileRows + i) * groups + g;
          const size_t at = (static_cast<size_t>(t) * groups + g) * kTileRows + i;
          if (w.sbBf16 && qt.biases) {
            std::memcpy(hs + at, scales + 2 * src, 2);
            std::memcpy(hb + at, biases + 2 * src, 2);
          } else if (w.sbBf16) {
            float s, b;
            qt.affine(read_float(scales, sdt, src), 0.f, &s, &b);
            hs[at] = bf16_exact(s, ref);
            if (storeBiases) hb[at] = bf16_exact(b, ref);
            else if (b != -static_cast<float>(qt.codeZero) * s) fail(ref.scales, std::string(qt.mode) + " pair is not centred on its zero code");
          } else {
            qt.affine(read_float(scales, sdt, src), biases ? read_float(biases, bdt, src) : 0.f, ds + at, db + at);
          }
        }
      }
    }
  });
  o.bytes = tileBytes * w.tiles + (storeBiases ? 2 : 1) * sbCount * sbBytes;
  return o;
}

std::vector<WeightRef> split_experts(const WeightRef& whole, int experts, int rows, int cols, FileSet& files) {
  if (experts <= 0 || rows <= 0 || cols <= 0) fail(whole.weight, "empty expert tensor");
  WeightRef ref = whole;
  ref.rows = rows;
  ref.cols = cols;
  const int64_t E = experts;
  // One expert's slice of a stacked tensor [E, r, c] holding `bytes` per element.
  auto slice = [&](TensorRef t, int e, int64_t r, int64_t c) {
    const uint64_t n = static_cast<uint64_t>(r * c) * dtype_size(t.dtype);
    t.name += "[" + std::to_string(e) + "]";
    t.offset += n * static_cast<uint64_t>(e);
    t.byteLength = n;
    t.shape = {r, c};
    return t;
  };
  int64_t wcols = cols, groups = 0;
  bool biases = false;
  if (!ref.quantized) {
    check_float_dtype(ref.weight);
  } else {
    const QuantTraits& qt = check_quant_params(ref);
    if (qt.biases) {
      check_float_dtype(ref.scales);
      check_float_dtype(ref.biases);
    } else if (ref.scales.dtype != DType::U8) {
      fail(ref.scales, std::string(qt.mode) + " scales must be U8 (E8M0), got " + dtype_name(ref.scales.dtype));
    }
    wcols = static_cast<int64_t>(cols) * ref.bits / 32;
    groups = cols / ref.groupSize;
    biases = qt.biases;
    tensor_bytes(ref.scales, files, {E, rows, groups});
    if (biases) tensor_bytes(ref.biases, files, {E, rows, groups});
  }
  tensor_bytes(ref.weight, files, {E, rows, wcols});
  std::vector<WeightRef> out;
  out.reserve(experts);
  for (int e = 0; e < experts; e++) {
    WeightRef x = ref;
    x.weight = slice(ref.weight, e, rows, wcols);
    if (ref.quantized) x.scales = slice(ref.scales, e, rows, groups);
    if (biases) x.biases = slice(ref.biases, e, rows, groups);
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<float> load_vector(const TensorRef& ref, FileSet& files, int64_t n) { return load_floats(ref, files, {n}); }

std::vector<float> load_floats(const TensorRef& ref, FileSet& files, const std::vector<int64_t>& shape) {
  check_float_dtype(ref);
  const uint8_t* p = tensor_bytes(ref, files, shape);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) v[i] = read_float(p, ref.dtype, static_cast<size_t>(i));
  return v;
}

void weight_row(const PackedWeight& w, int row, float* out) {
  if (w.kind == WeightKind::F32 || w.kind == WeightKind::F16 || w.kind == WeightKind::BF16) {
    const DType d = w.kind == WeightKind::F32 ? DType::F32 : w.kind == WeightKind::F16 ? DType::F16 : DType::BF16;
    const uint8_t* p = w.data + static_cast<size_t>(row) * w.cols * dtype_size(d);
    for (int k = 0; k < w.cols; k++) out[k] = read_float(p, d, k);
    return;
  }
  const int tile = row / kTileRows, i = row % kTileRows;
  const int per = w.kind == WeightKind::Q4 ? 4 : 2;
  const uint8_t* code = w.codeTable ? w.codeTable : kIdentityCodes;  // Q4: what each nibble stands for
  const uint8_t* p = w.data + static_cast<size_t>(tile) * kTileRows * w.cols * w.bits / 8;
  for (int g = 0; g < w.groups; g++) {
    const size_t at = (static_cast<size_t>(tile) * w.groups + g) * kTileRows + i;
    const float s = sb_value(w.scales, w.sbBf16, at), b = bias_value(w, at);
    for (int c = 0; c < w.groupSize / per; c++, p += 32) {
      float* o = out + g * w.groupSize + c * per;
      const uint8_t b0 = p[2 * i], b1 = p[2 * i + 1];
      if (per == 4) {
        o[0] = s * code[b0 & 15] + b;
        o[1] = s * code[b1 & 15] + b;
        o[2] = s * code[b0 >> 4] + b;
        o[3] = s * code[b1 >> 4] + b;
      } else {
        o[0] = s * b0 + b;
        o[1] = s * b1 + b;
      }
    }
  }
}

}  // namespace vmlx
