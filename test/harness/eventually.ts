/**
 * Retries `check` until it returns without throwing: for waiting on something asynchronous the
 * test cannot observe directly (a file watch firing). Bounded in attempts; it asserts nothing
 * about how long it took.
 */
export async function eventually<T>(check: () => Promise<T> | T, options: { attempts?: number; intervalMs?: number } = {}): Promise<T> {
  const attempts = options.attempts ?? 100;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
    }
  }
  throw lastError;
}
