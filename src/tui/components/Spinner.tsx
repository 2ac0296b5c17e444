import React, { useEffect, useState } from 'react';
import { Text } from 'ink';
import { spinnerFrames } from '../theme.js';

export function Spinner({ color }: { color?: string }): React.ReactElement {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setFrame((f) => (f + 1) % spinnerFrames.length), 100);
    return () => clearInterval(timer);
  }, []);
  return <Text color={color}>{spinnerFrames[frame]}</Text>;
}
