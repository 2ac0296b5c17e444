#include "blocks/rope.h"

#include <cmath>

#include "errors.h"

namespace vmlx {

std::vector<double> rope_inv_freq(const RopePlan& r) {
  const int half = r.rotaryDims / 2;
  std::vector<double> f(half);
  for (int i = 0; i < half; i++) f[i] = std::pow(r.theta, -2.0 * i / r.rotaryDims);
  if (!r.llama3) return f;
  // llama3 scaling: long wavelengths are slowed by `factor`, short ones kept, the band between blended smoothly.
  const double lowWavelen = r.originalMax / r.lowFreqFactor;
  const double highWavelen = r.originalMax / r.highFreqFactor;
  for (double& freq : f) {
    const double wavelen = 2 * M_PI / freq;
    if (wavelen < highWavelen) continue;
    if (wavelen > lowWavelen) {
      freq /= r.factor;
    } else {
      const double s = (r.originalMax / wavelen - r.lowFreqFactor) / (r.highFreqFactor - r.lowFreqFactor);
      freq = (1 - s) * freq / r.factor + s * freq;
    }
  }
  return f;
}

void rope_fill(RopeTable& r, int t0, int t1, int pos0) {
  const int half = r.plan.rotaryDims / 2;
  for (int t = t0; t < t1; t++)
    for (int i = 0; i < half; i++) {
      const double angle = static_cast<double>(pos0 + t) * r.invFreq[i];
      r.cos[static_cast<size_t>(t) * half + i] = static_cast<float>(std::cos(angle));
      r.sin[static_cast<size_t>(t) * half + i] = static_cast<float>(std::sin(angle));
    }
}

const RopeTable& rope_table(const Scratch& s, const RopePlan& plan) {
  for (const RopeTable& r : s.ropes)
    if (r.plan == plan) return r;
  throw EngineError("internal: RoPE table missing for a layer");
}

void rope_apply(float* x, int heads, int hd, int rotaryDims, const float* cs, const float* sn) {
  const int half = rotaryDims / 2;
  for (int h = 0; h < heads; h++) {
    float* v = x + h * hd;
    for (int i = 0; i < half; i++) {
      const float x0 = v[i], x1 = v[i + half];
      v[i] = x0 * cs[i] - x1 * sn[i];
      v[i + half] = x0 * sn[i] + x1 * cs[i];
    }
  }
}

}  // namespace vmlx
