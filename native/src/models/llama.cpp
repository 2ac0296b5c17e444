// Llama 3.x / SmolLM2: pre-norm decoder, GQA attention without biases, SwiGLU MLP, NeoX RoPE with optional
// llama3 frequency scaling.
#include <cmath>

#include "layers.h"

namespace vmlx {
namespace {

void validate(const ModelSpec&) {}

// llama3 scaling: long wavelengths are slowed by `factor`, short ones kept, the band between blended smoothly.
std::vector<double> rope_inv_freq(const ModelSpec& spec) {
  std::vector<double> f = rope_inv_freq_default(spec);
  const RopeScaling& r = spec.ropeScaling;
  if (!r.llama3) return f;
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

void layer(Forward& f, const Layer& L, int index) {
  attention_block(f, L, index, {/*qkvBias=*/false, /*qkNorm=*/false});
  mlp_block(f, L);
}

const Architecture kLlama = {"llama", validate, rope_inv_freq, layer};

}  // namespace

const Architecture& arch_llama() { return kLlama; }

}  // namespace vmlx
