import { isIP } from 'node:net';

/** A DNS server address. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Parses `HOST:PORT`, `[V6]:PORT`, a bare host (port `defaultPort`); a string is the error. */
export function parseEndpoint(text: string, defaultPort?: number): Endpoint | string {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let port: string | undefined;
  if (bracketed) [, host, port] = bracketed;
  else if (isIP(text) === 6) host = text;
  else {
    const colon = text.lastIndexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    port = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (!host) return `"${text}" has no host`;
  if (port === undefined) {
    if (defaultPort === undefined) return `"${text}" has no port (expected HOST:PORT)`;
    return { host, port: defaultPort };
  }
  const number = Number(port);
  if (!/^\d+$/.test(port) || number < 1 || number > 65535) return `"${text}" has port "${port}", not 1-65535`;
  return { host, port: number };
}

/**
 * Parses a DNS server to forward to: an IP address or localhost, port 53 by default. A name is
 * refused: finding it would need DNS, and replies are matched by their source address.
 */
export function parseServer(text: string): Endpoint | string {
  const parsed = parseEndpoint(text, 53);
  if (typeof parsed === 'string' || isIP(parsed.host) || parsed.host === 'localhost') return parsed;
  return `"${text}" is not an IP address (a DNS server is given by address, as in resolv.conf)`;
}

export function formatEndpoint(endpoint: Endpoint): string {
  return isIP(endpoint.host) === 6 ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}
