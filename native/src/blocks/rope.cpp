#include "blocks/rope.h"

#include <algorithm>
#include <cmath>

#include "errors.h"

namespace vmlx {

namespace {

// llama3: long wavelengths are slowed by `factor`, short ones kept, the band between blended smoothly.
void scale_llama3(const RopePlan& r, std::vector<double>& f) {
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
}

// The dimension (in rotation pairs) whose wavelength completes `rotations` turns over the original context.
double yarn_corr_dim(const RopePlan& r, double rotations) {
  return r.rotaryDims * std::log(r.originalMax / (rotations * 2 * M_PI)) / (2 * std::log(r.theta));
}

// YaRN, as llama.cpp computes it: pairs below the fast boundary keep their frequency (extrapolate), pairs above the
// slow boundary are interpolated by 1/factor, with a linear ramp between the two (boundaries rounded outwards).
// Since the angle is linear in the position, blending the frequencies equals blending the angles.
void scale_yarn(const RopePlan& r, std::vector<double>& f) {
  const double low = std::max(0.0, std::floor(yarn_corr_dim(r, r.betaFast)));
  const double high = std::min(static_cast<double>(r.rotaryDims - 1), std::ceil(yarn_corr_dim(r, r.betaSlow)));
  for (size_t i = 0; i < f.size(); i++) {
    const double y = (static_cast<double>(i) - low) / std::max(0.001, high - low);
    const double extrapolate = 1 - std::min(1.0, std::max(0.0, y));
    f[i] = f[i] / r.factor * (1 - extrapolate) + f[i] * extrapolate;
  }
}

}  // namespace

std::vector<double> rope_inv_freq(const RopePlan& r) {
  const int half = r.rotaryDims / 2;
  std::vector<double> f(half);
  for (int i = 0; i < half; i++) f[i] = std::pow(r.theta, -2.0 * i / r.rotaryDims);
  switch (r.scaling) {
    case RopeScaling::None: break;
    case RopeScaling::Llama3: scale_llama3(r, f); break;
    case RopeScaling::Yarn: scale_yarn(r, f); break;
    case RopeScaling::Linear:
      for (double& v : f) v /= r.factor;
      break;
    case RopeScaling::Longrope:
      for (int i = 0; i < half; i++) f[i] /= r.freqFactors[i];
      break;
    case RopeScaling::Proportional:
      for (int i = r.rotatedPairs; i < half; i++) f[i] = 0;  // angle 0: cos 1, sin 0, the pair passes through
      break;
  }
  return f;
}

void rope_fill(RopeTable& r, int t0, int t1, int pos0) {
  const int half = r.plan.rotaryDims / 2;
  for (int t = t0; t < t1; t++)
    for (int i = 0; i < half; i++) {
      const double angle = static_cast<double>(pos0 + t) * r.invFreq[i];
      r.cos[static_cast<size_t>(t) * half + i] = static_cast<float>(std::cos(angle) * r.plan.attentionFactor);
      r.sin[static_cast<size_t>(t) * half + i] = static_cast<float>(std::sin(angle) * r.plan.attentionFactor);
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
