// vmlx against llama.cpp on tiny random Gemma 4 models in the multimodal checkpoint layout (text model under
// `language_model.`, token vision and audio towers left unread): alternating sliding (32-token window, head_dim 32,
// two KV heads) and full layers (head_dim 64, one KV head, v from k_proj, proportional RoPE over 8 of 32 pairs),
// plain-w sandwich norms, v RMSNorm, q·k unscaled, the last two layers sharing earlier layers' KV with double-wide
// MLPs, per-layer inputs, layer_scalar and the final logit soft-cap.
import { parityTests } from './arch-suite.js';

parityTests('gemma4', ['bf16', '4-bit']);
