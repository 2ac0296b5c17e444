import { useEffect, useState } from 'react';
import type { ServerStatus } from '../agent/mcp/types.js';
import type { ReplBackend } from './backend.js';

/** The MCP servers' states, refreshed whenever the manager reports a change. */
export function useServerStatuses(backend: ReplBackend): ServerStatus[] {
  const [statuses, setStatuses] = useState(() => backend.statuses());
  useEffect(() => {
    setStatuses(backend.statuses());
    return backend.onChange(() => setStatuses(backend.statuses()));
  }, [backend]);
  return statuses;
}
