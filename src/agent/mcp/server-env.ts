// The environment a spawned MCP server gets: a few harmless host variables plus what its entry names.
// Never the whole host environment (API keys, tokens and proxies stay with vmlx).

type Env = Record<string, string | undefined>;

/** Host variables every server inherits. */
export const INHERITED_ENV_VARS = ['HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'PATH'] as const;

export function buildServerEnv(entryEnv: Record<string, string> = {}, hostEnv: Env = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of INHERITED_ENV_VARS) {
    const v = hostEnv[name];
    // Skip exported bash functions ("() { ... }"), as sudo and the MCP SDK do.
    if (v !== undefined && !v.startsWith('()')) out[name] = v;
  }
  for (const [k, v] of Object.entries(entryEnv)) out[k] = v;
  return out;
}
