// Builds the native addon (cmake-js, Release) and the TypeScript. Runs on `npm install` (prepare), so it
// rebuilds only what changed: an output whose inputs have the same content as at its last build is kept
// (a no-op install takes about a second instead of rebuilding the addon). --force rebuilds everything.
// Prints what is missing instead of a wall of compiler output when a tool is absent.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashInputs, isUpToDate, targets, writeStamp } from './build-plan.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const force = args.has('--force');

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

/** Runs `build` unless the target's output is up to date; records the inputs' hash after a good build. */
function buildIfChanged(name, target, build) {
  const hash = hashInputs(root, target.inputs, target.extra);
  if (!force && isUpToDate(target.output, target.stamp, hash)) {
    process.stdout.write(`vmlx build: ${name} is up to date (${target.inputs.join(', ')} unchanged)\n`);
    return;
  }
  build();
  writeStamp(target.stamp, hash);
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

const plan = targets(root);
if (!args.has('--ts-only')) buildIfChanged('the native addon', plan.native, buildNative);
if (!args.has('--native-only')) buildIfChanged('the TypeScript', plan.ts, buildTs);
