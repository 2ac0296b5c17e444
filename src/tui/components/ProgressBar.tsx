import React from 'react';
import { Text } from 'ink';
import { theme } from '../theme.js';

export function ProgressBar({ label, fraction, width = 30 }: { label: string; fraction: number; width?: number }): React.ReactElement {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return (
    <Text>
      {label}{' '}
      <Text color={theme.accent}>{'█'.repeat(filled)}</Text>
      <Text color="gray">{'░'.repeat(width - filled)}</Text> {Math.round(f * 100)}%
    </Text>
  );
}
