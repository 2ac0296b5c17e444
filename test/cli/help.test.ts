// The --help texts speak to users: examples at the top level, no internal references anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

function helpOf(cmd: Command): string {
  let extra = '';
  cmd.configureOutput({ writeOut: (s) => (extra += s), writeErr: (s) => (extra += s) });
  // Texts added with addHelpText are emitted on outputHelp, not by helpInformation.
  cmd.outputHelp();
  return extra;
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

test('every help text is free of internal references (issue numbers, TODOs)', () => {
  for (const cmd of allCommands(buildProgram())) {
    const text = helpOf(cmd);
    assert.doesNotMatch(text, /\bissue\s*#?\d+|\bTODO\b|\bFIXME\b/i, `vmlx ${cmd.name()} --help:\n${text}`);
  }
});

test('the top-level help has examples for the main commands', () => {
  const text = helpOf(buildProgram());
  assert.match(text, /Examples:/);
  for (const command of ['chat', 'serve', 'generate', 'mcp validate', 'audit']) assert.match(text, new RegExp(`\\n  vmlx ${command}\\b`));
});
