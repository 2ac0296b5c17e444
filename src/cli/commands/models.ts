// `vmlx models`: the models in the Hugging Face cache and whether vmlx can run them; `vmlx models rm org/name`.
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { formatBytes } from '../pull-progress.js';
import type { CachedModel } from '../../engine/hub/index.js';

function table(models: CachedModel[]): string {
  const rows = models.map((m) => [
    m.repoId,
    m.refs.length ? m.refs.join(',') : m.commit.slice(0, 12),
    formatBytes(m.sizeBytes),
    m.architecture,
    m.quantization,
    m.runnable ? 'yes' : `no: ${m.reason ?? ''}`,
  ]);
  const head = ['ID', 'REVISION', 'SIZE', 'ARCH', 'QUANT', 'RUNS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [fmt(head), ...rows.map(fmt)].join('\n');
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('list the models in the Hugging Face cache (id, revision, size, architecture, quantization, runnable)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { hubSettings, listCachedModels } = await import('../../engine/hub/index.js');
      const { cacheDir } = hubSettings();
      const { models: found, warnings } = await listCachedModels(cacheDir);
      for (const w of warnings) process.stderr.write(`vmlx models: warning: ${w}\n`);
      if (o.json) process.stdout.write(`${JSON.stringify({ cacheDir, models: found }, null, 2)}\n`);
      else if (found.length === 0) process.stdout.write(`no models in the Hugging Face cache (${cacheDir})\n`);
      else process.stdout.write(`${table(found)}\n`);
    });
  models
    .command('rm')
    .description('delete a model (all its cached revisions) from the Hugging Face cache, after asking')
    .argument('<id>', 'org/name')
    .option('-y, --yes', 'do not ask')
    .action(async (id: string, o: { yes?: boolean }) => {
      const { findRepoFolder, hubSettings, isRepoId, listCachedModels, removeCachedModel } = await import('../../engine/hub/index.js');
      if (!isRepoId(id)) throw new UserError(`models rm: '${id}' is not a Hugging Face id (org/name); it deletes every cached revision, so give no @revision`);
      const { cacheDir } = hubSettings();
      const revisions = (await listCachedModels(cacheDir)).models.filter((m) => m.repoId === id);
      // A folder with blobs but no snapshot yet (an interrupted first pull) can be deleted too.
      if (revisions.length === 0 && !findRepoFolder(cacheDir, id)) throw new UserError(`models rm: ${id} is not in the Hugging Face cache (${cacheDir})`);
      const size = formatBytes(revisions.reduce((s, m) => s + m.sizeBytes, 0));
      if (!o.yes) {
        if (!process.stdin.isTTY) throw new UserError(`models rm: not deleting ${id} without confirmation: stdin is not a terminal, pass --yes`);
        if (!(await confirm(`Delete ${id} (${revisions.length} complete revision${revisions.length === 1 ? '' : 's'}, ${size}) from ${cacheDir}? [y/N] `))) {
          process.stderr.write('vmlx models rm: nothing deleted\n');
          return;
        }
      }
      removeCachedModel(cacheDir, id);
      process.stderr.write(`vmlx models rm: deleted ${id} (${size})\n`);
    });
}
