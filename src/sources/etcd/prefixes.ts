/**
 * The etcd key prefix of `service` under a template such as `/{service}/providers/`. It always
 * ends with '/', so service `api` never reads the keys of `api2`.
 */
export function prefixOf(template: string, service: string): string {
  const prefix = template.replaceAll('{service}', service);
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}
