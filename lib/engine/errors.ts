/**
 * Error classes shared by the CLI and the Lambdas. All extend RsrError: a `name` that says which failure it is, the
 * original error kept as `cause`, and a one-line message a person can act on.
 */

export class RsrError extends Error {
  override readonly name: string = 'RsrError';
}

/** A configuration value is missing or not one of the accepted values. Names the variable, the value and what is accepted. */
export class ConfigError extends RsrError {
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
export class InputError extends RsrError {
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
export class StoreError extends RsrError {
  override readonly name = 'StoreError';
  constructor(
    readonly operation: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(`store operation ${operation} failed${options?.detail ? `: ${options.detail}` : ''}`, options);
  }
}

/** Publishing an alert failed; the alert stays unsent and is retried on the next evaluation. */
export class PublishError extends RsrError {
  override readonly name = 'PublishError';
  constructor(
    readonly alertId: string,
    options?: { cause?: unknown },
  ) {
    super(`publishing alert ${alertId} failed`, options);
  }
}
