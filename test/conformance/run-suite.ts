// `npm run test:conformance`: runs every client scenario of the pinned MCP conformance suite against
// test/conformance/client.ts. The suite needs Node 22 (it imports globSync from fs), so it runs on the Node 22
// binary scripts/node22.mjs unpacks into .cache/node22; the client under test runs on this Node. Exit 1 when a
// scenario that must pass fails, or one listed as an expected failure passes (the list is then stale).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIOS, CONFORMANCE_VERSION } from './scenarios.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NODE22 = join(ROOT, '.cache', 'node22', 'package', 'bin', 'node');
const SUITE = join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const CLIENT = fileURLToPath(new URL('./client.js', import.meta.url));
const SCENARIO_DEADLINE_MS = 120_000;

function runScenario(name: string, outDir: string): Promise<{ passed: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE22, [SUITE, 'client', '--command', `${process.execPath} ${CLIENT}`, '--scenario', name, '-o', join(outDir, name.replaceAll('/', '_'))], {
      cwd: outDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), SCENARIO_DEADLINE_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ passed: code === 0 && /OVERALL: PASSED/.test(output), output });
    });
  });
}

async function main(): Promise<number> {
  for (const [what, path] of [['the Node 22 binary (node scripts/node22.mjs fetches it)', NODE22], ['the conformance suite', SUITE], ['the compiled client (run tsc first)', CLIENT]] as const) {
    if (!existsSync(path)) {
      process.stderr.write(`test:conformance: ${what} is missing: ${path}\n`);
      return 1;
    }
  }
  const only = process.argv.slice(2);
  const outDir = mkdtempSync(join(tmpdir(), 'vmlx-conformance-'));
  let bad = 0;
  let passed = 0;
  const selected = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name));
  process.stdout.write(`MCP conformance ${CONFORMANCE_VERSION}: ${selected.length} client scenarios (results in ${outDir})\n`);
  for (const s of selected) {
    const r = await runScenario(s.name, outDir);
    if (r.passed) passed++;
    const expected = s.expectedFailure === undefined;
    const verdict = r.passed === expected ? (r.passed ? 'pass' : 'expected failure') : r.passed ? 'UNEXPECTED PASS (remove it from the expected failures)' : 'FAIL';
    process.stdout.write(`  ${s.name.padEnd(44)} ${verdict}\n`);
    if (r.passed !== expected) {
      bad++;
      const checks = r.output.split('\n').filter((l) => /FAILURE|conformance client/.test(l)).slice(0, 5);
      for (const l of checks) process.stdout.write(`      ${l.replace(/\x1b\[[0-9;]*m/g, '')}\n`);
    }
  }
  process.stdout.write(`${passed}/${selected.length} scenarios pass; ${bad === 0 ? 'all as expected' : `${bad} not as expected`}\n`);
  return bad === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
