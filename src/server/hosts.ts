// Which names and addresses mean "this machine": for the Host-header check (DNS rebinding) and for
// deciding whether the server is bound off loopback.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

const unbracket = (h: string): string => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h);

/** localhost (and *.localhost, which browsers resolve to loopback themselves), 127.0.0.0/8 and ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = unbracket(host).toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

export function isWildcardAddress(host: string): boolean {
  const h = unbracket(host);
  return h === '0.0.0.0' || h === '::' || h === '';
}

/** The hostname of a Host header, lowercased, without port, brackets or a trailing dot; null when malformed. */
export function hostHeaderName(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(header) ?? /^([^:[\]\s/@]+)(?::\d{1,5})?$/.exec(header);
  return m ? m[1]!.toLowerCase().replace(/\.$/, '') : null;
}

/** Names a request may carry in Host: the bound address (every interface address for a wildcard bind) plus extras. */
export function boundHostNames(bindHost: string, extra: readonly string[]): Set<string> {
  const names = new Set<string>(extra.map((h) => unbracket(h).toLowerCase().replace(/\.$/, '')));
  if (isWildcardAddress(bindHost)) {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase());
  } else {
    names.add(unbracket(bindHost).toLowerCase());
  }
  return names;
}
