/**
 * The same text as one flat string. V8 keeps `zookeeper:${path}/${name}` as a chain of
 * concatenations (32 bytes a link) and adds a flat copy at its first comparison or use as a Map
 * key; flattened at once, while the chain is young, the collector drops the chain. Used for the
 * strings kept per provider (about 60 bytes each at 100,000 providers, `bench/memory-probe.ts`).
 */
export function flat(text: string): string {
  // Reading it as a number flattens it in place (the `flatstr` idiom).
  Number(text);
  return text;
}
