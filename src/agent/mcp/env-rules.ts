// Which environment variables a server entry may set. Names must be plain identifiers (an '=' in a name would
// smuggle another variable into the child's environment), are compared in upper case, and the variables that
// make a program load code are refused, including the tool namespaces that mirror command-line options
// (npm_config_node_options is --node-options, PIP_EDITABLE is --editable, UV_ENV_FILE is --env-file).
import { npmConfigFinding, pipOptionFinding, uvOptionFinding, type InlineFinding } from './inline-code.js';

/** What an environment variable name may look like: POSIX's portable identifier. */
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const DANGEROUS_ENV_VARS: readonly string[] = [
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'PATH', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME',
  'NODE_PATH', 'NODE_OPTIONS', 'BASH_ENV', 'ENV', 'PERL5OPT', 'RUBYOPT',
  // More loaders of code from a chosen place: interpreters, the C library, OpenSSL, git, the JVM, shells.
  'PYTHONUSERBASE', 'PYTHONEXECUTABLE', 'PYTHONWARNINGS', 'PYTHONBREAKPOINT', 'PYTHONINSPECT', 'NODE_REPL_EXTERNAL_MODULE',
  'PERL5LIB', 'PERLLIB', 'RUBYLIB', 'GCONV_PATH', 'OPENSSL_CONF', 'OPENSSL_ENGINES', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS', 'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_PROXY_COMMAND', 'GIT_EXEC_PATH', 'GIT_ASKPASS', 'SSH_ASKPASS',
  'GIT_TEMPLATE_DIR', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'SHELLOPTS', 'BASHOPTS', 'PS4',
];

/** Whole families: the dynamic loaders' variables and git's numbered config entries. */
const DANGEROUS_PREFIXES: readonly string[] = ['LD_', 'DYLD_', 'GIT_CONFIG_KEY_', 'GIT_CONFIG_VALUE_'];

const NPM_CONFIG_RE = /^NPM_CONFIG_(.+)$/;
const PIP_RE = /^PIP_(.+)$/;
// uv's variables that mirror a source or env-file option of `uv run` / `uvx`.
const UV_MIRRORS: Record<string, string> = {
  UV_ENV_FILE: 'env-file',
  UV_FIND_LINKS: 'find-links',
  UV_WITH: 'with',
  UV_FROM: 'from',
  UV_WITH_EDITABLE: 'with-editable',
  UV_WITH_REQUIREMENTS: 'with-requirements',
};

const asOption = (rest: string) => rest.toLowerCase().replace(/_/g, '-');

/** The first environment entry that is refused, with the rule that refuses it. */
export function checkEnvEntries(env: Record<string, string>, shown: (s: string) => string): InlineFinding | undefined {
  for (const [name, value] of Object.entries(env)) {
    const label = `Environment variable '${shown(name)}'`;
    if (!ENV_NAME_RE.test(name)) {
      return { rule: 'invalid_env_name', detail: `${label} is not a valid name (letters, digits and '_', not starting with a digit)` };
    }
    const upper = name.toUpperCase();
    if (DANGEROUS_ENV_VARS.includes(upper) || DANGEROUS_PREFIXES.some((p) => upper.startsWith(p))) {
      return { rule: 'dangerous_env', detail: `${label} is not allowed: it can make the server load code vmlx did not choose` };
    }
    const npm = NPM_CONFIG_RE.exec(upper);
    if (npm) {
      const f = npmConfigFinding(asOption(npm[1]!), `${label} (npm's --${asOption(npm[1]!)})`);
      if (f) return f;
    }
    const pip = PIP_RE.exec(upper);
    if (pip) {
      const f = pipOptionFinding(asOption(pip[1]!), value, `${label} (pip's --${asOption(pip[1]!)})`);
      if (f) return f;
    }
    const uv = UV_MIRRORS[upper];
    if (uv) {
      const f = uvOptionFinding(uv, value, `${label} (uv's --${uv})`);
      if (f) return f;
    }
  }
  return undefined;
}
