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
// `--suite NAME` runs the files named *.NAME.js instead of *.test.js: long or machine-heavy suites that npm test
// leaves to their own npm run test:NAME scripts (and .ci/run runs too).
const argv = process.argv.slice(2);
const suiteAt = argv.indexOf('--suite');
const suite = suiteAt >= 0 ? argv[suiteAt + 1] : 'test';
if (!suite || !/^[a-z][a-z0-9-]*$/.test(suite)) {
  process.stderr.write('vmlx test: --suite takes a name such as browser or peer\n');
  process.exit(1);
}
const filters = suiteAt >= 0 ? [...argv.slice(0, suiteAt), ...argv.slice(suiteAt + 2)] : argv;
const pattern = new RegExp(`\\.${suite}\\.js$`);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (pattern.test(name)) files.push(p);
  }
})(testRoot);
const selected = filters.length ? files.filter((f) => filters.some((s) => relative(root, f).includes(s))) : files;
if (!selected.length) {
  process.stderr.write(`vmlx test: no test files match ${filters.join(' ')}\n`);
  process.exit(1);
}
// The real-shape suite runs one family at a time: each holds a multi-GB model and its GGUF twin in memory.
const concurrency = suite === 'realshape' ? 1 : 2;
// TAP as before, then a list of the failures, so the end of a long log says what failed.
const reporters = ['--test-reporter=tap', '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts', 'failure-summary-reporter.mjs')}`, '--test-reporter-destination=stdout'];
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...reporters, ...selected], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
