// `vmlx mcp validate`: loads an mcp.json and runs the command validator on every server without starting
// anything. Exit 1 when an enabled server is rejected.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { loadMcpConfig, resolveMcpConfigPath, type ServerEntry } from '../../agent/mcp/config.js';
import { allowUnsafeFromEnv, validateServers, type ServerValidation } from '../../agent/mcp/validator.js';
import { redactString } from '../../agent/mcp/redact.js';
import { defaultMcpConfigPath } from '../../agent/paths.js';

interface ValidateOpts {
  mcpConfig?: string;
  allowUnsafeMcp?: boolean;
  json?: boolean;
}

type Status = 'accepted' | 'rejected' | 'disabled';

function statusOf(v: ServerValidation): Status {
  if (!v.enabled) return 'disabled';
  return v.result.ok ? 'accepted' : 'rejected';
}

function describeEntry(e: ServerEntry): string {
  if (e.kind === 'remote') return `${e.type ?? 'http→sse'}: ${redactString(e.url)}`;
  return `stdio: ${redactString([e.command, ...e.args].join(' '))}`;
}

export function registerMcpValidate(mcp: Command): void {
  mcp
    .command('validate')
    .description('check every server of an MCP config against the command whitelist and blocked patterns (starts nothing)')
    .option('--mcp-config <file>', 'MCP config file (default: ~/.vmlx/mcp.json)')
    .option('--allow-unsafe-mcp', 'honour skip_security_validation (also VMLX_ALLOW_UNSAFE_MCP=1)')
    .option('--json', 'print one JSON object instead of lines')
    .action((opts: ValidateOpts) => {
      const path = resolveMcpConfigPath({ cliPath: opts.mcpConfig });
      if (!path) throw new UserError(`no MCP config: pass --mcp-config FILE or create ${defaultMcpConfigPath()}`);
      const config = loadMcpConfig(path);
      const results = validateServers(config, { allowUnsafe: opts.allowUnsafeMcp === true || allowUnsafeFromEnv() });
      const rejected = results.filter((r) => statusOf(r) === 'rejected').length;

      if (opts.json) {
        const servers = results.map((r) => ({
          name: r.name,
          status: statusOf(r),
          transport: r.entry.kind === 'stdio' ? 'stdio' : (r.entry.type ?? 'http'),
          ...(r.result.ok ? {} : { rule: r.result.rule, message: r.result.message }),
          ...(r.result.ok && r.result.bypassed ? { warning: r.result.warning } : {}),
        }));
        process.stdout.write(`${JSON.stringify({ file: path, ok: rejected === 0, servers })}\n`);
      } else {
        const n = results.length;
        process.stdout.write(`${path}: ${n} server${n === 1 ? '' : 's'}\n`);
        const width = Math.max(4, ...results.map((r) => r.name.length));
        for (const r of results) {
          const status = statusOf(r);
          let detail: string;
          if (!r.result.ok) detail = `[${r.result.rule}] ${r.result.message}`;
          else detail = describeEntry(r.entry);
          if (status === 'disabled') detail = `not started (enabled: false); ${r.result.ok ? 'would be accepted' : `would be rejected: ${detail}`}`;
          process.stdout.write(`  ${status.padEnd(8)}  ${r.name.padEnd(width)}  ${detail}\n`);
          if (r.result.ok && r.result.bypassed) process.stderr.write(`vmlx: warning: ${r.result.warning}\n`);
        }
        if (rejected > 0) process.stdout.write(`${rejected} server${rejected === 1 ? '' : 's'} rejected\n`);
      }
      if (rejected > 0) process.exitCode = 1;
    });
}
