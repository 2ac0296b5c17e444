#include "sampler.h"

#include <algorithm>
#include <cmath>

#include "kernels/kernels.h"
#include "top_k.h"

namespace vmlx {

double log_sum_exp(const float* v, int n) {
  float mx = -INFINITY;
  for (int i = 0; i < n; i++) mx = std::max(mx, v[i]);
  double s = 0;
  for (int i = 0; i < n; i++) s += std::exp(static_cast<double>(v[i]) - mx);
  return mx + std::log(s);
}

namespace {
uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

Sampler::Sampler(const SamplingParams& p, int vocab, const KernelSet& kernels) : p_(p), vocab_(vocab), kernels_(kernels), counts_(vocab, 0) {
  uint64_t s = p.seed;
  rng_[0] = splitmix(s);
  rng_[1] = splitmix(s);
}

// xoroshiro128+ : small, fast, and the same sequence for the same seed on every platform.
double Sampler::uniform() {
  const uint64_t s0 = rng_[0];
  uint64_t s1 = rng_[1];
  const uint64_t r = s0 + s1;
  s1 ^= s0;
  rng_[0] = ((s0 << 24) | (s0 >> 40)) ^ s1 ^ (s1 << 16);
  rng_[1] = (s1 << 37) | (s1 >> 27);
  return static_cast<double>(r >> 11) * (1.0 / 9007199254740992.0);
}

void Sampler::apply_penalties(float* logits, const std::vector<int32_t>& history) {
  if (p_.repetitionPenalty == 1 && p_.presencePenalty == 0 && p_.frequencyPenalty == 0) return;
  const size_t n = history.size();
  const size_t start = p_.penaltyWindow > 0 && n > static_cast<size_t>(p_.penaltyWindow) ? n - p_.penaltyWindow : 0;
  touched_.clear();
  for (size_t i = start; i < n; i++) {
    const int32_t t = history[i];
    if (t < 0 || t >= vocab_) continue;
    if (counts_[t]++ == 0) touched_.push_back(t);
  }
  for (int32_t t : touched_) {
    float& l = logits[t];
    if (p_.repetitionPenalty != 1) l = l > 0 ? l / p_.repetitionPenalty : l * p_.repetitionPenalty;  // HF style
    l -= p_.presencePenalty + p_.frequencyPenalty * counts_[t];                                          // OpenAI style
    counts_[t] = 0;
  }
}

int Sampler::candidates(float* logits, double invT) {
  const int V = vocab_;
  const bool topP = p_.topP > 0 && p_.topP < 1;
  // The shortest prefix of idx_/prob_ (best first) holding top_p of the mass; extends `kept` as candidates grow.
  double cum = 0;
  int kept = 0;
  const auto nucleus = [&](int upTo) {
    while (kept < upTo && (kept == 0 || cum < p_.topP)) cum += prob_[kept++];
    return kept;
  };
  if (p_.topK > 0 && p_.topK < V) {
    // The top-k set, best first, its probabilities normalized over it.
    const int k = p_.topK;
    idx_ = top_indices(logits, V, k);
    const double mx = logits[idx_[0]];
    prob_.resize(k);
    double z = 0;
    for (int i = 0; i < k; i++) z += prob_[i] = std::exp((static_cast<double>(logits[idx_[i]]) - mx) * invT);
    for (int i = 0; i < k; i++) prob_[i] /= z;
    return topP ? nucleus(k) : k;
  }
  // The whole vocabulary: every probability in one vectorized pass (exp in float; the normalizer in double).
  expScratch_.resize(V);
  const float mx = logits[argmax_first(logits, V)];
  const double z = kernels_.exp_scaled(logits, V, mx, static_cast<float>(invT), expScratch_.data());
  if (!topP) return kWholeVocabulary;
  // The most likely tokens by logit (the same order as by probability; ties to the lower index), 64 first and 16
  // times more until they hold top_p: a trained model's next token takes the first round nearly always, a flat
  // distribution a few.
  for (int k = std::min(V, 64);; k = std::min(V, k * 16)) {
    idx_ = top_indices(logits, V, k);
    prob_.resize(k);
    for (int i = kept; i < k; i++) prob_[i] = expScratch_[idx_[i]] / z;
    if (nucleus(k) < k || cum >= p_.topP || k == V) return kept;
  }
}

int32_t Sampler::sample(float* logits, const std::vector<int32_t>& history, TokenEvent& ev) {
  const int V = vocab_;
  const bool wantLp = p_.logprobs || p_.topLogprobs > 0;
  double lse = 0;
  if (wantLp) {
    // Log-probabilities of the model's own distribution: before penalties and temperature. The normalizer from the
    // vectorized pass (float exp, summed in double): a scalar double loop over the vocabulary cost ~0.7 ms a token.
    expScratch_.resize(V);
    const float mx = logits[argmax_first(logits, V)];
    lse = mx + std::log(kernels_.exp_scaled(logits, V, mx, 1.f, expScratch_.data()));
    if (p_.topLogprobs > 0) {
      ev.topIds = top_indices(logits, V, p_.topLogprobs);
      ev.topLogprobs.resize(ev.topIds.size());
      for (size_t i = 0; i < ev.topIds.size(); i++) ev.topLogprobs[i] = static_cast<float>(logits[ev.topIds[i]] - lse);
    }
  }
  // Penalties touch few entries: remember their raw values for the chosen token's logprob.
  std::vector<std::pair<int32_t, float>> saved;
  if (wantLp && (p_.repetitionPenalty != 1 || p_.presencePenalty != 0 || p_.frequencyPenalty != 0)) {
    const size_t n = history.size();
    const size_t start = p_.penaltyWindow > 0 && n > static_cast<size_t>(p_.penaltyWindow) ? n - p_.penaltyWindow : 0;
    for (size_t i = start; i < n; i++)
      if (history[i] >= 0 && history[i] < V) saved.emplace_back(history[i], logits[history[i]]);
  }
  apply_penalties(logits, history);

  int32_t chosen;
  if (p_.temperature <= 0) {
    chosen = argmax_first(logits, V);
  } else {
    const int n = candidates(logits, 1.0 / p_.temperature);
    chosen = n == kWholeVocabulary ? draw_from_vocabulary() : draw_from_candidates(n);
  }
  ev.token = chosen;
  if (wantLp) {
    float raw = logits[chosen];
    for (const auto& sv : saved)
      if (sv.first == chosen) raw = sv.second;
    ev.hasLogprob = true;
    ev.logprob = static_cast<float>(raw - lse);
  }
  return chosen;
}

// Every token, in vocabulary order, weighted by expScratch_ (unnormalized; the most likely is 1); min-p drops those
// under min_p times the most likely.
int32_t Sampler::draw_from_vocabulary() {
  const int V = vocab_;
  const float* e = expScratch_.data();
  const float floor = p_.minP > 0 ? *std::max_element(e, e + V) * p_.minP : 0.f;
  // Sums of runs of 64 first: the draw then skips whole runs and walks one.
  constexpr int kRun = 64;
  runSums_.assign((V + kRun - 1) / kRun, 0.0);
  double total = 0;
  for (int c = 0; c * kRun < V; c++) {
    double s = 0;
    for (int i = c * kRun; i < std::min(V, (c + 1) * kRun); i++)
      if (e[i] >= floor) s += e[i];
    runSums_[c] = s;
    total += s;
  }
  double r = uniform() * total;
  const auto eligible = [&](int i) { return e[i] >= floor && e[i] > 0.f; };
  for (int c = 0; c * kRun < V; c++) {
    if (r >= runSums_[c]) {
      r -= runSums_[c];
      continue;
    }
    for (int i = c * kRun; i < std::min(V, (c + 1) * kRun); i++) {
      if (!eligible(i)) continue;
      r -= e[i];
      if (r < 0) return i;
    }
  }
  // Rounding left r just above the walked mass: the last token that has any.
  int last = V - 1;
  while (last > 0 && !eligible(last)) last--;
  return last;
}

// The first n candidates of idx_/prob_, after min-p.
int32_t Sampler::draw_from_candidates(int n) {
  if (p_.minP > 0) {
    const double floor = *std::max_element(prob_.begin(), prob_.begin() + n) * p_.minP;
    int m = 0;
    for (int i = 0; i < n; i++)
      if (prob_[i] >= floor) idx_[m] = idx_[i], prob_[m++] = prob_[i];
    n = m;
  }
  double total = 0;
  for (int i = 0; i < n; i++) total += prob_[i];
  double r = uniform() * total;
  for (int i = 0; i < n; i++) {
    r -= prob_[i];
    if (r < 0) return idx_[i];
  }
  return idx_[n - 1];
}

}  // namespace vmlx
