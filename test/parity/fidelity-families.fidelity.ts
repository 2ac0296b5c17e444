// The fidelity rule (see fidelity.ts) on the families fidelity.test.ts leaves out: together they cover every family
// the engine loads, which the default activation path must satisfy (docs/engine.md).
import { fidelityTests } from './fidelity.js';

fidelityTests(['qwen3_5', 'llama', 'gemma3_text', 'qwen3_moe', 'qwen2', 'mistral', 'mistral3', 'smollm3', 'gemma3', 'phi3', 'qwen3_5_moe', 'qwen3_next']);
