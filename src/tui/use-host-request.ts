// The MCP server request the REPL shows now (form, URL or sampling approval), if any.
import { useSyncExternalStore } from 'react';
import type { HostRequest, HostRequestQueue } from './state/host-requests.js';

const noRequests = () => () => {};
const none = (): HostRequest | undefined => undefined;

export function useHostRequest(queue: HostRequestQueue | undefined): HostRequest | undefined {
  return useSyncExternalStore(queue?.subscribe ?? noRequests, queue?.current ?? none);
}
