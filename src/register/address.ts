import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/**
 * This host's primary address: the first non-internal IPv4 address, the one other hosts
 * most likely reach it at. Undefined on a host with only loopback.
 */
export function primaryAddress(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string | undefined {
  for (const infos of Object.values(interfaces)) {
    const found = infos?.find((info) => info.family === 'IPv4' && !info.internal);
    if (found) return found.address;
  }
  return undefined;
}
