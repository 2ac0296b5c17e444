// Collects every family's fixtures: engineer A's (fixtures/<family>.ts) and engineer B's (formats-b/fixtures/<family>.ts).
import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Fixture } from './fixtures/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const DIRS = [join(here, 'fixtures'), join(here, 'formats-b', 'fixtures')];
const NOT_FAMILIES = new Set(['index.js', 'common.js']);

export async function allFixtures(): Promise<Array<Fixture & { family: string }>> {
  const out: Array<Fixture & { family: string }> = [];
  for (const dir of DIRS) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.js') || NOT_FAMILIES.has(file)) continue;
      const mod = (await import(pathToFileURL(join(dir, file)).href)) as { fixtures?: Fixture[] };
      if (!Array.isArray(mod.fixtures)) continue;
      for (const fx of mod.fixtures) out.push({ ...fx, family: file.replace(/\.js$/, '') });
    }
  }
  return out;
}
