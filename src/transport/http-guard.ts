// The checks every HTTP request passes before it reaches MCP: Host and Origin against
// allow-lists (DNS rebinding). The bearer token is checked by the Authenticate the transport is
// given (src/commands/tokens.ts).
import { isIP } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** The Host header's host name, without the port; undefined when it is malformed. */
export function hostName(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

export function defaultAllowedHosts(bound: string): string[] {
  const hosts = ['localhost', '127.0.0.1', '::1'];
  const b = bound.replace(/^\[|\]$/g, '').toLowerCase();
  if (b !== '0.0.0.0' && b !== '::' && !hosts.includes(b)) hosts.push(b);
  return hosts;
}

/** An entry with a port ("proxy.example:8443") must match host and port; one without, the host name. */
export function hostAllowed(hostHeader: string | undefined, allowed: readonly string[]): boolean {
  const name = hostName(hostHeader);
  if (name === undefined || hostHeader === undefined) return false;
  const full = hostHeader.trim().toLowerCase();
  return allowed.some((entry) => {
    const e = entry.trim().toLowerCase();
    const withPort = /:\d+$/.test(e) && (e.startsWith('[') || e.split(':').length === 2);
    return withPort ? e === full : e.replace(/^\[|\]$/g, '') === name;
  });
}

/**
 * No Origin (a non-browser client) passes; a browser's Origin must be listed, or be a loopback
 * origin when nothing is listed.
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}
