import { Resolver } from 'node:dns/promises';

/**
 * Node's c-ares resolver aimed at one server (`127.0.0.1:PORT` or `[::1]:PORT`): an independent
 * DNS client. One try, so a wrong answer is not hidden by a retry.
 */
export function caresResolver(server: string, timeoutMs = 3000): Resolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([server]);
  return resolver;
}

/** The c-ares error code of a lookup that fails (ENOTFOUND for NXDOMAIN, ENODATA for NODATA...). */
export async function caresError(lookup: Promise<unknown>): Promise<string> {
  try {
    await lookup;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
  throw new Error('the lookup succeeded');
}
