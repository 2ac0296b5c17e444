// `vmlx pull org/name[@revision]`: downloads a model into the Hugging Face cache (or brings a branch up to date),
// refusing before any weight moves when vmlx cannot run it.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { PullProgress } from '../pull-progress.js';

export function registerPullCommand(program: Command): void {
  program
    .command('pull')
    .description('download a model from the Hugging Face hub into the shared Hugging Face cache')
    .argument('<id>', 'org/name, or org/name@revision (a branch, tag or commit)')
    .option('--json', 'print the result (id, revision, commit, directory, bytes downloaded) as JSON on stdout')
    .action(async (id: string, o: { json?: boolean }) => {
      const { hubSettings, parseRepoSpec, pullModel } = await import('../../engine/hub/index.js');
      const spec = parseRepoSpec(id);
      if (!spec) throw new UserError(`pull: '${id}' is not a Hugging Face id (org/name or org/name@revision)`);
      const settings = hubSettings();
      if (settings.offline) throw new UserError('pull: HF_HUB_OFFLINE is set, so nothing can be downloaded');
      const progress = new PullProgress(process.stderr, { prefix: 'vmlx pull' });
      try {
        const pulled = await pullModel(spec.repoId, spec.revision, { settings, onEvent: progress.onEvent });
        if (o.json) process.stdout.write(`${JSON.stringify(pulled)}\n`);
      } finally {
        progress.stop();
      }
    });
}
