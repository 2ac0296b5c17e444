// npm run peer:build — builds llama.cpp's own benchmark tools (llama-bench, llama-batched-bench, llama-server)
// from the llama.cpp release that node-llama-cpp ships as a git bundle, into .cache/llama.cpp/. They are the
// honest speed peer for `vmlx bench` and `npm run bench:all`: node-llama-cpp's per-token calls are slow and stay
// the correctness oracle only. Done once; a second run with the same bundle only checks the stamp.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
const base = join(root, '.cache', 'llama.cpp');
const src = join(base, 'src');
const buildDir = join(base, 'build');
const stampFile = join(base, 'stamp.json');
export const PEER_TOOLS = ['llama-bench', 'llama-batched-bench', 'llama-server'];
const force = process.argv.includes('--force');

function fail(message) {
  process.stderr.write(`vmlx peer:build: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, what, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) fail(`${what}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (exit ${r.status ?? r.signal})`);
}

function capture(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

if (!existsSync(bundle)) fail(`${bundle} is missing: run npm install (node-llama-cpp is a devDependency)`);
for (const [tool, hint] of [['git', 'apt-get install git'], ['cmake', 'apt-get install cmake'], ['c++', 'apt-get install g++']]) {
  if (capture(tool, ['--version']) === null) fail(`${tool} is not installed (${hint})`);
}

const headLine = capture('git', ['bundle', 'list-heads', bundle]);
if (!headLine) fail(`cannot read the git bundle ${bundle}`);
const commit = headLine.split(/\s+/)[0];
const binDir = join(buildDir, 'bin');
const wanted = { commit, tools: PEER_TOOLS };

if (!force && existsSync(stampFile)) {
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  if (stamp.commit === commit && PEER_TOOLS.every((t) => existsSync(join(binDir, t)))) {
    process.stdout.write(`llama.cpp ${commit.slice(0, 10)} tools are built in ${binDir}\n`);
    process.exit(0);
  }
}

mkdirSync(base, { recursive: true });
if (!existsSync(join(src, '.git')) || capture('git', ['rev-parse', 'HEAD'], src) !== commit) {
  rmSync(src, { recursive: true, force: true });
  process.stdout.write(`cloning llama.cpp ${commit.slice(0, 10)} from node-llama-cpp's bundle\n`);
  run('git', ['clone', '--quiet', '--no-checkout', bundle, src], 'git clone of the bundle');
  run('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', commit], 'git checkout', src);
}

// CPU-only Release build of the three tools: no web UI download, no network libraries, static libraries so the
// binaries run from .cache without an rpath, native instruction set as vmlx's own kernels use.
run('cmake', [
  '-S', src, '-B', buildDir,
  '-DCMAKE_BUILD_TYPE=Release',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DGGML_NATIVE=ON',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
  '-DLLAMA_BUILD_UI=OFF',
  '-DLLAMA_OPENSSL=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_BUILD_APP=OFF',
], 'cmake configure');
const jobs = String(Math.max(1, cpus().length));
process.stdout.write(`building ${PEER_TOOLS.join(', ')} with ${jobs} jobs (about 10 minutes on 2 cores)\n`);
run('cmake', ['--build', buildDir, '--config', 'Release', '-j', jobs, '--target', ...PEER_TOOLS], 'cmake build');
for (const t of PEER_TOOLS) if (!existsSync(join(binDir, t))) fail(`the build finished but ${join(binDir, t)} is missing`);
writeFileSync(stampFile, JSON.stringify(wanted, null, 2) + '\n');
process.stdout.write(`llama.cpp ${commit.slice(0, 10)} tools are built in ${binDir}\n`);
