/**
 * Every AWS call the controller makes goes through `callAws`, which retries throttling and
 * transient faults with capped exponential backoff and full jitter. The SDK clients are created
 * with `maxAttempts: 1`, so this is the one retry policy, and tests that replace `send` with a mock
 * exercise it as it runs in AWS.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1), for jitter. */
  readonly random: () => number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 5000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** An AWS call that failed for good; the message names the call, the error and the attempts. */
export class AwsCallError extends Error {
  constructor(
    readonly operation: string,
    readonly errorName: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`${operation} failed after ${attempts} attempt(s): ${errorName}: ${message}`, { cause });
    this.name = 'AwsCallError';
  }
}

const THROTTLING_ERRORS = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

const TRANSIENT_ERRORS = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalFailure',
  'ServiceUnavailable',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

interface AwsLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

export function errorName(error: unknown): string {
  const e = error as AwsLikeError | undefined;
  return e?.name ?? e?.code ?? 'Error';
}

export function isThrottling(error: unknown): boolean {
  const e = error as AwsLikeError | undefined;
  return (
    THROTTLING_ERRORS.has(errorName(error)) ||
    e?.$metadata?.httpStatusCode === 429 ||
    e?.$retryable?.throttling === true
  );
}

export function isRetryable(error: unknown): boolean {
  const e = error as AwsLikeError | undefined;
  const status = e?.$metadata?.httpStatusCode;
  return (
    isThrottling(error) ||
    TRANSIENT_ERRORS.has(errorName(error)) ||
    TRANSIENT_ERRORS.has(e?.code ?? '') ||
    status === 502 ||
    status === 503 ||
    status === 504
  );
}

/** The wait before retry number `retry` (1-based): full jitter over a capped exponential. */
export function backoffDelayMs(retry: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * Runs `call`, retrying throttling and transient faults; any other error, or the last one, becomes
 * an `AwsCallError` naming `operation`.
 */
export async function callAws<T>(
  operation: string,
  call: () => Promise<T>,
  policy: RetryPolicy = defaultRetryPolicy,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= policy.maxAttempts || !isRetryable(error)) {
        throw new AwsCallError(operation, errorName(error), attempt, error);
      }
      await policy.sleep(backoffDelayMs(attempt, policy));
    }
  }
}
