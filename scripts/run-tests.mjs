// Runs the compiled test files with node's test runner. Node 20 has no glob support in --test.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testRoot = join(root, 'dist', 'test');
if (!existsSync(testRoot)) {
  process.stderr.write('vmlx test: dist/test is missing; run npm run build first\n');
  process.exit(1);
}
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.js$/.test(name)) files.push(p);
  }
})(testRoot);
const selected = filters.length ? files.filter((f) => filters.some((s) => relative(root, f).includes(s))) : files;
if (!selected.length) {
  process.stderr.write(`vmlx test: no test files match ${filters.join(' ')}\n`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...selected], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
