/** Stable codes of what can go wrong while registering. */
export type RegisterErrorCode =
  /** A backend call did not finish in time. */
  | 'ETIMEDOUT'
  /** A backend answered with an error, or the connection to it failed. */
  | 'EBACKEND';

/** An error whose message names the backend host and the path, key or service concerned. */
export class RegisterError extends Error {
  constructor(
    readonly code: RegisterErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Settles like `promise`, or rejects with ETIMEDOUT naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RegisterError('ETIMEDOUT', `${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
