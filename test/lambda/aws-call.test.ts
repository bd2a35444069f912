import {
  AwsCallError,
  backoffDelayMs,
  callAws,
  isRetryable,
  isThrottling,
} from '../../lambda/aws-call';
import { awsError, instantRetry } from './controller-fixtures';

describe('callAws', () => {
  it('retries a throttled call with growing, jittered waits until it succeeds', async () => {
    const retry = instantRetry(5);
    const call = jest
      .fn()
      .mockRejectedValueOnce(awsError('ThrottlingException'))
      .mockRejectedValueOnce(awsError('Throttling'))
      .mockRejectedValueOnce(awsError('TooManyRequestsException', 429))
      .mockResolvedValue('done');

    await expect(callAws('DescribeRules', call, retry)).resolves.toBe('done');

    expect(call).toHaveBeenCalledTimes(4);
    // random() is 0.5: half of 100, 200 and 400 ms.
    expect(retry.waits).toEqual([50, 100, 200]);
  });

  it('gives up after the last attempt with a message naming the call, the error and the attempts', async () => {
    const retry = instantRetry(3);
    const call = jest.fn().mockRejectedValue(awsError('ThrottlingException', 400, 'Rate exceeded'));

    await expect(callAws('GetMetricData', call, retry)).rejects.toThrow(
      'GetMetricData failed after 3 attempt(s): ThrottlingException: Rate exceeded',
    );
    expect(call).toHaveBeenCalledTimes(3);
  });

  it('does not retry an error that retrying cannot fix', async () => {
    const call = jest.fn().mockRejectedValue(awsError('AccessDenied', 403));

    const error = (await callAws('ModifyListener', call, instantRetry()).catch(
      (e: unknown) => e,
    )) as AwsCallError;

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error.errorName).toBe('AccessDenied');
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('retries transient server faults but not a plain internal error', () => {
    expect(isRetryable(awsError('ServiceUnavailable', 503))).toBe(true);
    expect(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(awsError('InternalError', 500))).toBe(false);
    expect(isThrottling(Object.assign(new Error('x'), { $retryable: { throttling: true } }))).toBe(
      true,
    );
  });

  it('caps the backoff at the maximum delay', () => {
    const retry = { ...instantRetry(), random: () => 0.999 };
    expect(backoffDelayMs(20, retry)).toBe(Math.floor(0.999 * retry.maxDelayMs));
  });
});
