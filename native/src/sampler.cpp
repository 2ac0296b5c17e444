#include "sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

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

Sampler::Sampler(const SamplingParams& p, int vocab) : p_(p), vocab_(vocab), counts_(vocab, 0) {
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

int32_t Sampler::sample(float* logits, const std::vector<int32_t>& history, TokenEvent& ev) {
  const int V = vocab_;
  const bool wantLp = p_.logprobs || p_.topLogprobs > 0;
  double lse = 0;
  if (wantLp) {
    // Log-probabilities of the model's own distribution: before penalties and temperature.
    lse = log_sum_exp(logits, V);
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
    const double invT = 1.0 / p_.temperature;
    const int k = p_.topK > 0 ? std::min(p_.topK, V) : V;
    const bool topP = p_.topP > 0 && p_.topP < 1;
    // Candidates: the top-k set, best first (all tokens in vocabulary order when top-k is off).
    float mx = -INFINITY;
    if (k < V) {
      idx_ = top_indices(logits, V, k);
      mx = logits[idx_[0]];
    } else {
      idx_.resize(V);
      std::iota(idx_.begin(), idx_.end(), 0);
      mx = logits[argmax_first(logits, V)];
    }
    prob_.resize(k);
    double z = 0;
    for (int i = 0; i < k; i++) z += prob_[i] = std::exp((static_cast<double>(logits[idx_[i]]) - mx) * invT);
    for (int i = 0; i < k; i++) prob_[i] /= z;
    int n = k;
    if (topP) {
      // Sort a growing prefix until it holds top_p of the mass: usually a few hundred tokens, never the whole vocab.
      std::vector<int32_t> order(k);
      std::iota(order.begin(), order.end(), 0);
      auto byProb = [this](int32_t a, int32_t b) { return prob_[a] > prob_[b] || (prob_[a] == prob_[b] && idx_[a] < idx_[b]); };
      int sorted = 0;
      double cum = 0;
      n = 0;
      while (n < k && (n == 0 || cum < p_.topP)) {
        if (n == sorted) {
          const int more = std::min(k, std::max(64, sorted * 4));
          std::partial_sort(order.begin() + sorted, order.begin() + more, order.end(), byProb);
          sorted = more;
        }
        cum += prob_[order[n++]];
      }
      std::vector<int32_t> keptIdx(n);
      std::vector<double> keptProb(n);
      for (int i = 0; i < n; i++) keptIdx[i] = idx_[order[i]], keptProb[i] = prob_[order[i]];
      idx_.assign(keptIdx.begin(), keptIdx.end());
      prob_.assign(keptProb.begin(), keptProb.end());
    }
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
    chosen = idx_[n - 1];
    for (int i = 0; i < n; i++) {
      r -= prob_[i];
      if (r < 0) {
        chosen = idx_[i];
        break;
      }
    }
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

}  // namespace vmlx
