// `vmlx mcp login NAME` and `vmlx mcp logout NAME`: OAuth for remote servers of the config. Login runs the
// browser flow through a one-shot loopback listener and saves the tokens (mode 0600, vmlx home); logout
// forgets them. Attaches to the `mcp` group of ./mcp.ts.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { loadConfiguredMcp } from '../../agent/mcp/runtime.js';
import { loginToServer } from '../../agent/mcp/oauth/login.js';
import { TokenStore } from '../../agent/mcp/oauth/token-store.js';
import type { RemoteServerEntry } from '../../agent/mcp/config.js';
import { defaultMcpConfigPath } from '../../agent/paths.js';

interface AuthOpts {
  mcpConfig?: string;
  timeout?: number;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('--timeout must be a positive whole number of seconds');
  return n;
}

function remoteEntry(name: string, opts: AuthOpts): RemoteServerEntry {
  const loaded = loadConfiguredMcp(opts.mcpConfig);
  if (!loaded) throw new UserError(`no MCP config: pass --mcp-config FILE or create ${defaultMcpConfigPath()}`);
  const entry = loaded.config.mcpServers[name];
  if (!entry) {
    const names = Object.keys(loaded.config.mcpServers);
    throw new UserError(`${loaded.configPath}: no MCP server named '${name}' (it has: ${names.join(', ') || 'none'})`);
  }
  if (entry.kind !== 'remote') throw new UserError(`'${name}' is a stdio server: only remote (url) servers log in`);
  return entry;
}

export function registerMcpAuthCommands(mcp: Command): void {
  mcp
    .command('login')
    .description('log in to a remote MCP server with OAuth (opens $BROWSER or prints the URL)')
    .argument('<server>', 'server name from the config')
    .option('--mcp-config <file>', 'MCP config file (default: ~/.vmlx/mcp.json)')
    .option('--timeout <s>', 'how long to wait for the browser to come back', seconds, 300)
    .action(async (name: string, opts: AuthOpts) => {
      const entry = remoteEntry(name, opts);
      const interrupt = new AbortController();
      const onSigint = () => interrupt.abort();
      process.once('SIGINT', onSigint);
      try {
        const store = TokenStore.forHome();
        const result = await loginToServer({
          server: name,
          entry,
          store,
          print: (line) => process.stderr.write(`${line}\n`),
          timeoutMs: (opts.timeout ?? 300) * 1000,
          signal: interrupt.signal,
        });
        const info = result.serverInfo ? ` (${result.serverInfo.name} ${result.serverInfo.version})` : '';
        process.stdout.write(`logged in to '${name}'${info}: ${result.toolCount} tool${result.toolCount === 1 ? '' : 's'}\n`);
        process.stdout.write(`tokens kept in ${store.location}\n`);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  mcp
    .command('logout')
    .description('forget the OAuth tokens and client registration of a remote MCP server')
    .argument('<server>', 'server name')
    .action((name: string) => {
      const store = TokenStore.forHome();
      process.stdout.write(store.remove(name) ? `logged out of '${name}'\n` : `no login saved for '${name}'\n`);
    });
}
