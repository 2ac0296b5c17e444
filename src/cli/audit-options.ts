// The audit-log options shared by every command that opens the log to write to it (chat, serve, mcp ...).
import { InvalidArgumentError, Option } from 'commander';

export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

function retentionDays(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('--audit-retention-days must be a whole number of days (0 keeps every row)');
  }
  return n;
}

/** --audit-retention-days: rows older than this are pruned in the background, in batches that never block writers. */
export function auditRetentionOption(): Option {
  return new Option('--audit-retention-days <days>', 'delete audit rows older than this many days, in the background (0 keeps every row)')
    .default(DEFAULT_AUDIT_RETENTION_DAYS)
    .argParser(retentionDays);
}
