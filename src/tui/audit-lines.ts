// Audit rows as the one-line entries /audit shows.
import type { AuditRow } from '../agent/audit/index.js';

export function formatAuditRow(row: AuditRow): string {
  const time = row.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const decided = row.decision === 'allowed' ? 'allowed' : `${row.decision} (${row.rule})`;
  const result = row.decision !== 'allowed' ? '' : row.success ? ' ok' : ` failed: ${row.error ?? 'error'}`;
  const duration = row.durationMs !== null && row.decision === 'allowed' ? ` ${row.durationMs}ms` : '';
  return `${time} ${row.server}/${row.tool} ${decided}${result}${duration}`;
}
