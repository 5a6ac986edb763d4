/** Error classes shared by the CLI and the Lambdas. Each has a `name` and keeps the original error as `cause`. */

/** A configuration value is missing or not one of the accepted values. Names the variable, the value and what is accepted. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly value: unknown,
    readonly accepted: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}=${JSON.stringify(value)} is not valid: expected ${accepted}`, options);
  }
}

/** An input file or stream could not be read or decoded. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}

/** A storage backend call failed; thrown so that AWS retries the invocation and the dead-letter path can work. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`store operation ${operation} failed`, options);
  }
}

/** Publishing an alert failed; the alert stays unsent and is retried on the next evaluation. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly alertId: string,
    options?: { cause?: unknown },
  ) {
    super(`publishing alert ${alertId} failed`, options);
  }
}
