// Servers started through a launcher (npx → sh → node, the seed's config style) leave no process behind:
// not on close(), not after the launcher is killed. The process trees are read with `ps`, independently
// of the /proc walker under test.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpManager, type McpManagerEvent } from '../../src/agent/mcp/manager.js';
import { parseMcpConfig } from '../../src/agent/mcp/config.js';
import { MemoryAuditLog } from '../../src/agent/audit/index.js';
import { ProcessTree, isRunning, processRef } from '../../src/agent/mcp/process-tree.js';
import { REPO_ROOT, isRunningPid, nextEvent, psDescendants, tempDir, waitFor } from './helpers.js';

const LAUNCHER = fileURLToPath(new URL('./fixtures/launcher.js', import.meta.url));
const work = tempDir('vmlx-mcp-tree-');
const managers: McpManager[] = [];
after(() => Promise.all(managers.map((m) => m.close())));

// The repo's devDependency makes npx resolve the package locally; offline proves no download happens.
const npxFilesystem = {
  command: 'npx',
  args: ['-y', '@modelcontextprotocol/server-filesystem', work],
  cwd: REPO_ROOT,
  env: { npm_config_offline: 'true', npm_config_update_notifier: 'false' },
};

async function start(servers: Record<string, unknown>): Promise<McpManager> {
  const manager = await McpManager.start({
    config: parseMcpConfig(JSON.stringify({ mcpServers: servers }), 'tree-test.json'),
    audit: new MemoryAuditLog(),
    logDir: join(work, 'logs'),
    connectTimeoutMs: 30_000,
    restartPolicy: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, maxAttempts: 3, stableAfterMs: 60_000 },
  });
  managers.push(manager);
  return manager;
}

function connectedPid(manager: McpManager, name: string): number {
  const s = manager.statuses().find((x) => x.name === name)!;
  assert.equal(s.state, 'connected', `${name}: ${s.error ?? ''}`);
  return s.pid!;
}

async function allGone(pids: number[], what: string): Promise<void> {
  await waitFor(`${what}: ${pids.filter(isRunningPid).join(', ')} still running`, () => pids.every((p) => !isRunningPid(p)), 15_000);
}

test('npx server: close() ends npx, its shell and the node server', async () => {
  const manager = await start({ fs: npxFilesystem });
  const npxPid = connectedPid(manager, 'fs');
  const tree = psDescendants(npxPid);
  const server = tree.find((p) => p.args.includes(join(REPO_ROOT, 'node_modules')) && p.args.includes('mcp-server-filesystem'));
  assert.ok(server, `the local server runs under npx: ${JSON.stringify(tree)}`);
  assert.ok(server.depth >= 2, 'the server is a grandchild of npx (npx → sh → node)');
  const call = await manager.callTool('fs', 'list_allowed_directories', {}, { origin: 'cli' });
  assert.equal(call.status, 'ok', call.error);

  const pids = [npxPid, ...tree.map((p) => p.pid)];
  await manager.close();
  await allGone(pids, 'after close()');
});

test('npx server: when npx is killed its orphaned server is terminated, and the server restarts', async () => {
  const manager = await start({ fs: npxFilesystem });
  const npxPid = connectedPid(manager, 'fs');
  const descendants = psDescendants(npxPid).map((p) => p.pid);
  assert.ok(descendants.length >= 2, 'npx has a shell and a node server below it');

  const restarted = nextEvent<McpManagerEvent>('restart', (l) => manager.onEvent(l), (e) => e.type === 'status' && e.status.state === 'connected' && e.status.pid !== npxPid, 30_000);
  process.kill(npxPid, 'SIGKILL');
  await allGone(descendants, 'after npx was killed');
  await restarted;

  const newPid = connectedPid(manager, 'fs');
  const newTree = [newPid, ...psDescendants(newPid).map((p) => p.pid)];
  const call = await manager.callTool('fs', 'list_allowed_directories', {}, { origin: 'cli' });
  assert.equal(call.status, 'ok', call.error);
  await manager.close();
  await allGone(newTree, 'after close() of the restarted server');
});

test('a server that ignores stdin EOF and SIGTERM below a launcher that drops signals is still ended by close()', async () => {
  const manager = await start({ lingering: { command: 'node', args: [LAUNCHER, '--linger'] } });
  const launcherPid = connectedPid(manager, 'lingering');
  const below = psDescendants(launcherPid);
  assert.equal(below.length, 1, JSON.stringify(below));
  await manager.close();
  // The launcher exits on the SDK's SIGTERM; the server only goes because its pid was recorded.
  await allGone([launcherPid, below[0]!.pid], 'after close()');
});

test('a process is known by pid and start time: a different start time (a reused pid) is not ours', () => {
  const self = processRef(process.pid)!;
  assert.ok(isRunning(self));
  assert.equal(isRunning({ pid: process.pid, startTime: `${self.startTime}0` }), false);
});

test('ProcessTree.terminate ends a child and grandchild that ignore SIGTERM (SIGKILL after the grace)', async () => {
  // The child ignores SIGTERM and starts a grandchild that does too; both report ready on stdout.
  const stubborn = `process.on('SIGTERM', () => {}); setInterval(() => {}, 60000);`;
  const child = spawn(process.execPath, ['-e', `${stubborn}
    const g = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(`${stubborn} console.log('ready')`)}], { stdio: 'inherit' });`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const tree = new ProcessTree(child.pid!);
  const grandchildren = tree.descendants().map((r) => r.pid);
  assert.deepEqual(grandchildren, psDescendants(child.pid!).map((p) => p.pid));
  assert.equal(grandchildren.length, 1);
  const signalled = await tree.terminate(200);
  assert.deepEqual(signalled.sort(), [child.pid!, ...grandchildren].sort());
  assert.deepEqual(tree.running(), []);
  await allGone([child.pid!, ...grandchildren], 'after terminate()');
});
