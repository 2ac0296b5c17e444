// `vmlx audit`: reads the tool-call audit log (table or JSON lines); `vmlx audit clear` empties it.
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { AuditLog, type AuditRow } from '../../agent/audit/index.js';
import { defaultAuditDbPath } from '../../agent/paths.js';

interface ListOpts {
  errorsOnly?: boolean;
  tool?: string;
  server?: string;
  since?: string;
  until?: string;
  limit?: string;
  json?: boolean;
  auditDb?: string;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** '30m', '1h', '2d' (before now) or an ISO time → epoch ms. */
export function parseTimeArg(flag: string, value: string, now = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value.trim());
  if (m) return now - Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  const t = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value.trim()) && Number.isFinite(t)) return t;
  throw new UserError(`${flag}: expected a duration like 30m, 1h or 2d, or an ISO time like 2026-01-31T12:00, got '${value}'`);
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 50;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UserError(`--limit: expected a positive whole number, got '${value}'`);
  return Number(value);
}

const dbPath = (o: { auditDb?: string }) => o.auditDb ?? defaultAuditDbPath();

function cut(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function statusText(r: AuditRow): string {
  if (r.decision === 'denied') return `denied: ${r.rule}`;
  if (r.decision === 'bypassed') return `bypass: ${r.rule}`;
  return r.success ? 'ok' : 'failed';
}

function printTable(rows: AuditRow[]): void {
  const cells = rows.map((r) => [
    r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    r.origin ?? '-',
    r.server,
    r.tool,
    statusText(r),
    r.durationMs === null ? '-' : `${Math.round(r.durationMs)}`,
    cut(JSON.stringify(r.arguments), 60),
  ]);
  const head = ['TIME', 'ORIGIN', 'SERVER', 'TOOL', 'RESULT', 'MS', 'ARGUMENTS'];
  const widths = head.map((h, i) => Math.min(i === 6 ? 60 : 32, Math.max(h.length, ...cells.map((c) => c[i]!.length))));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : cut(x, widths[i]!).padEnd(widths[i]!))).join('  ');
  process.stdout.write(`${line(head)}\n`);
  rows.forEach((r, i) => {
    process.stdout.write(`${line(cells[i]!)}\n`);
    if (r.error) process.stdout.write(`    ↳ ${cut(r.error.replace(/\s+/g, ' '), 150)}\n`);
  });
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('show the audit log of MCP tool calls (newest last)')
    .option('--errors-only', 'only calls that failed or were refused')
    .option('--tool <substring>', 'tool names containing this')
    .option('--server <name>', 'only this server')
    .option('--since <when>', 'from this time: 30m, 1h, 2d or an ISO time')
    .option('--until <when>', 'up to this time: 30m, 1h, 2d or an ISO time')
    .option('--limit <n>', 'at most this many rows, the newest (default 50)')
    .option('--json', 'print JSON lines instead of a table')
    .option('--audit-db <file>', 'audit database (default: ~/.vmlx/audit.db)')
    .action((opts: ListOpts) => {
      const now = Date.now();
      const query = {
        limit: parseLimit(opts.limit),
        ...(opts.tool ? { toolFilter: opts.tool } : {}),
        ...(opts.server ? { serverFilter: opts.server } : {}),
        ...(opts.errorsOnly ? { errorsOnly: true } : {}),
        ...(opts.since ? { since: parseTimeArg('--since', opts.since, now) } : {}),
        ...(opts.until ? { until: parseTimeArg('--until', opts.until, now) } : {}),
      };
      const path = dbPath(opts);
      if (!existsSync(path)) {
        if (!opts.json) process.stdout.write(`no audit log yet (${path})\n`);
        return;
      }
      const log = AuditLog.open(path);
      try {
        const rows = log.query(query);
        if (opts.json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (rows.length === 0) process.stdout.write('no matching audit rows\n');
        else printTable(rows);
      } finally {
        log.close();
      }
    });

  audit
    .command('clear')
    .description('delete every row of the audit log (asks first unless --yes)')
    .option('--yes', 'do not ask')
    .option('--audit-db <file>', 'audit database (default: ~/.vmlx/audit.db)')
    .action(async (opts: { yes?: boolean; auditDb?: string }, cmd: Command) => {
      // --audit-db may be given before 'clear' (on the parent) or after it.
      const parentDb = (cmd.parent?.opts() as ListOpts | undefined)?.auditDb;
      const path = opts.auditDb ?? parentDb ?? defaultAuditDbPath();
      if (!existsSync(path)) {
        process.stdout.write(`no audit log yet (${path})\n`);
        return;
      }
      const log = AuditLog.open(path);
      try {
        const count = log.count();
        if (!opts.yes) {
          if (!process.stdin.isTTY || !process.stdout.isTTY) {
            throw new UserError('refusing to clear the audit log without confirmation: run it in a terminal to answer, or pass --yes');
          }
          if (!(await confirm(`Delete all ${count} rows of the audit log ${path}? [y/N] `))) {
            process.stdout.write('kept the audit log\n');
            return;
          }
        }
        const n = log.clear();
        process.stdout.write(`deleted ${n} audit row${n === 1 ? '' : 's'}\n`);
      } finally {
        log.close();
      }
    });
}
