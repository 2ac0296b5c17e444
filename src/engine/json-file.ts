// Reads a JSON file of a model directory and validates it with a zod schema, turning every failure into a one-line
// ModelLoadError that names the file and the offending field.
import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ModelFileMissingError, ModelFormatError } from './errors.js';

export function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new ModelFileMissingError(file, what);
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ModelFormatError(file, `invalid JSON (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Formats the first zod issue as "field 'a.b': message". */
export function describeIssue(issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0];
  if (!issue) return 'invalid contents';
  const path = issue.path.map(String).join('.');
  const message = issue.message.replace(/^Invalid input: /, '');
  return path ? `field '${path}': ${message}` : message;
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, file: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ModelFormatError(file, describeIssue(result.error.issues));
  return result.data;
}
