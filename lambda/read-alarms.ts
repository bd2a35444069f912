/** Reads the states of the CloudWatch alarms the configuration names, for the policy. */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { callAws, defaultRetryPolicy, RetryPolicy } from './aws-call';
import { AlarmState } from './contract';

/** DescribeAlarms' limit on alarm names in one call. */
const NAMES_PER_CALL = 100;

export interface AlarmsReadResult {
  readonly alarms: Record<string, AlarmState>;
  /** Named alarms that do not exist; the policy sees them as INSUFFICIENT_DATA. */
  readonly missing: string[];
}

export async function readAlarms(
  cloudwatch: CloudWatchClient,
  alarmNames: readonly string[],
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<AlarmsReadResult> {
  const alarms: Record<string, AlarmState> = {};
  const names = [...new Set(alarmNames)];
  for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
    const batch = names.slice(i, i + NAMES_PER_CALL);
    let nextToken: string | undefined;
    do {
      const page = await callAws(
        'DescribeAlarms',
        () =>
          cloudwatch.send(
            new DescribeAlarmsCommand({
              AlarmNames: batch,
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              NextToken: nextToken,
            }),
          ),
        retry,
      );
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (a.AlarmName && a.StateValue) alarms[a.AlarmName] = a.StateValue as AlarmState;
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  const missing = names.filter((n) => !(n in alarms));
  for (const name of missing) alarms[name] = 'INSUFFICIENT_DATA';
  return { alarms, missing };
}
