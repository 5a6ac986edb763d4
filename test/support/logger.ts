/** A logger of the project's one Logger type that records each call, for tests that assert what was logged. */
import type { Logger } from '../../lib/engine/logger';

export interface LoggedCall {
  readonly level: string;
  readonly message: string;
  readonly data: Record<string, unknown>;
}

export function recordingLogger(): Logger & { calls: LoggedCall[]; at(level: string): LoggedCall[] } {
  const calls: LoggedCall[] = [];
  const record =
    (level: string) =>
    (message: unknown, ...data: unknown[]) => {
      calls.push({ level, message: String(message), data: (data[0] ?? {}) as Record<string, unknown> });
    };
  return {
    calls,
    at: (level) => calls.filter((c) => c.level === level),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}
