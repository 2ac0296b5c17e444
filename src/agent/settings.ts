// The user's chat settings, ~/.vmlx/settings.json (optional): defaults that command-line flags override.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { APPROVAL_MODES } from './loop/approvals.js';
import { vmlxHome } from './paths.js';

export const DEFAULT_AUTO_COMPACT_PERCENT = 85;

export const SettingsSchema = z
  .object({
    /** The approval mode a chat starts in. */
    approvalMode: z.enum(APPROVAL_MODES).default('default'),
    /** Context use (percent of the window) at which the older turns are compacted before the next turn; 0 = never. */
    autoCompactPercent: z.number().int().min(0).max(100).default(DEFAULT_AUTO_COMPACT_PERCENT),
  })
  .strict();

export type Settings = z.infer<typeof SettingsSchema>;

export class SettingsError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export function settingsPath(env: Record<string, string | undefined> = process.env): string {
  return join(vmlxHome(env), 'settings.json');
}

/** Reads the settings; a missing file means the defaults, a bad one is an error naming the file and field. */
export function loadSettings(path: string = settingsPath()): Settings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return SettingsSchema.parse({});
    throw new SettingsError(`${path}: cannot read the settings: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SettingsError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
  const parsed = SettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new SettingsError(`${path}: ${field}${issue.message}`);
  }
  return parsed.data;
}
