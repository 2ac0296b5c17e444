// Builds the native addon (cmake-js, Release) and the TypeScript. Runs on `npm install`.
// Prints what is missing instead of a wall of compiler output when a tool is absent.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

function have(cmd, versionArg = '--version') {
  const r = spawnSync(cmd, [versionArg], { stdio: 'ignore' });
  return r.status === 0;
}

function run(cmd, cmdArgs, what) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`\nvmlx build: ${what} failed (exit ${r.status ?? r.signal}).\n`);
    process.exit(1);
  }
}

function buildNative() {
  const missing = [];
  if (!have('cmake')) missing.push('cmake (apt-get install cmake)');
  if (!have('g++') && !have('c++')) missing.push('a C++17 compiler (apt-get install g++)');
  if (!have('make') && !have('ninja')) missing.push('make or ninja (apt-get install make)');
  const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  if (!existsSync(cmakeJs)) missing.push('cmake-js (run npm install)');
  if (!existsSync(join(root, 'node_modules', 'node-addon-api'))) missing.push('node-addon-api (run npm install)');
  if (missing.length) {
    process.stderr.write(`vmlx build: cannot build the native engine; missing:\n  - ${missing.join('\n  - ')}\n`);
    process.exit(1);
  }
  // Node-API only: cmake-js takes the headers from the node-api-headers package, nothing is downloaded.
  run(process.execPath, [cmakeJs, 'compile', '--directory', root, '--parallel', '2'], 'native addon build (cmake-js)');
}

function buildTs() {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    process.stderr.write('vmlx build: TypeScript is not installed; run npm install\n');
    process.exit(1);
  }
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], 'TypeScript build');
}

if (!args.has('--ts-only')) buildNative();
if (!args.has('--native-only')) buildTs();
