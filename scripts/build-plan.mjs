// Decides what `npm install` (prepare) has to rebuild: each output is rebuilt only when it is missing or when
// the content of its inputs changed since it was last built (a hash kept in a stamp file next to the output).
// Content, not mtimes: a fresh checkout or a branch switch touches every file without changing most of them.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file under the given files or folders (skipping node_modules and dot folders), sorted. */
export function listInputs(root, entries) {
  const out = [];
  const walk = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isFile()) return void out.push(path);
    for (const name of readdirSync(path)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      walk(join(path, name));
    }
  };
  for (const entry of entries) walk(join(root, entry));
  return out.sort();
}

/** One hash over the inputs' paths and contents (plus any extra strings, such as the Node ABI). */
export function hashInputs(root, entries, extra = []) {
  const hash = createHash('sha256');
  for (const value of extra) hash.update(`extra:${value}\0`);
  for (const file of listInputs(root, entries)) {
    hash.update(`${relative(root, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Whether the output exists and was built from inputs with this hash. */
export function isUpToDate(output, stampFile, hash) {
  if (!existsSync(output) || !existsSync(stampFile)) return false;
  return readFileSync(stampFile, 'utf8').trim() === hash;
}

export function writeStamp(stampFile, hash) {
  writeFileSync(stampFile, `${hash}\n`);
}

/** The build's targets: what each one reads, what it writes, and where its stamp lives. */
export function targets(root) {
  return {
    native: {
      inputs: ['native', 'CMakeLists.txt'],
      extra: [`napi ${process.versions.napi}`, `${process.platform}-${process.arch}`],
      output: join(root, 'build', 'Release', 'vmlx_native.node'),
      stamp: join(root, 'build', '.vmlx-inputs-hash'),
    },
    ts: {
      inputs: ['src', 'test', 'scripts', 'tsconfig.json', 'package.json'],
      extra: [],
      output: join(root, 'dist', 'src', 'cli', 'main.js'),
      stamp: join(root, 'dist', '.vmlx-inputs-hash'),
    },
  };
}
