// Next-token selection: penalties, temperature, top-k, top-p, min-p, a seeded RNG, and log-probabilities.
#pragma once
#include <cstdint>
#include <vector>

namespace vmlx {

struct KernelSet;

struct SamplingParams {
  int maxTokens = 256;
  float temperature = 0;
  int topK = 0;
  float topP = 1, minP = 0;
  float repetitionPenalty = 1, presencePenalty = 0, frequencyPenalty = 0;
  int penaltyWindow = 0;
  uint32_t seed = 0;
  std::vector<int32_t> eosTokenIds;
  int topLogprobs = 0;
  bool logprobs = false;
};

struct TokenEvent {
  int32_t token = 0;
  bool hasLogprob = false;
  float logprob = 0;
  std::vector<int32_t> topIds;
  std::vector<float> topLogprobs;
};

// log(sum(exp(v))) computed stably.
double log_sum_exp(const float* v, int n);

class Sampler {
 public:
  // `kernels` computes the probabilities when top-k is off (the whole vocabulary); it must outlive the sampler.
  Sampler(const SamplingParams& p, int vocab, const KernelSet& kernels);
  // Picks the next token. `logits` (vocab floats) is modified. history = prompt + generated tokens so far.
  int32_t sample(float* logits, const std::vector<int32_t>& history, TokenEvent& ev);

 private:
  double uniform();
  void apply_penalties(float* logits, const std::vector<int32_t>& history);

  // The candidates' indices and probabilities, best first; top-p keeps the shortest prefix holding its mass.
  // kWholeVocabulary: no top-k or top-p, every token weighted by expScratch_ (not normalized).
  int candidates(float* logits, double invT);
  static constexpr int kWholeVocabulary = -1;
  int32_t draw_from_vocabulary();
  int32_t draw_from_candidates(int n);

  SamplingParams p_;
  int vocab_;
  const KernelSet& kernels_;
  uint64_t rng_[2];
  std::vector<int32_t> counts_;
  std::vector<int32_t> touched_;
  std::vector<int32_t> idx_;
  std::vector<double> prob_;
  std::vector<float> expScratch_;
  std::vector<double> runSums_;
};

}  // namespace vmlx
