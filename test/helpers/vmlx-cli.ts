// Runs the real vmlx binary for the CLI tests, with a deadline (never a fixed sleep).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const VMLX_BIN = join(REPO_ROOT, 'bin', 'vmlx.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runVmlx(args: string[], opts: { env?: Record<string, string>; cwd?: string; deadlineMs?: number; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VMLX_BIN, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vmlx ${args.join(' ')} did not finish in time; stderr:\n${stderr}`));
    }, opts.deadlineMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
