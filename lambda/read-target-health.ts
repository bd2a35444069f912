/** Reads how many healthy targets each target group has now (DescribeTargetHealth). */
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsCallError, callAws, defaultRetryPolicy, RetryPolicy } from './aws-call';

const TARGET_GROUP_NOT_FOUND = new Set(['TargetGroupNotFoundException', 'TargetGroupNotFound']);

export interface TargetGroupHealth {
  readonly healthyHostCount: number;
  /** False when AWS answers that the target group does not exist (deleted by someone else). */
  readonly exists: boolean;
}

/** Healthy host counts by target group ARN; a deleted group has 0 and `exists: false`. */
export async function readTargetHealth(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArns: readonly string[],
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<Map<string, TargetGroupHealth>> {
  const health = new Map<string, TargetGroupHealth>();
  for (const arn of new Set(targetGroupArns)) {
    try {
      const out = await callAws(
        'DescribeTargetHealth',
        () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
        retry,
      );
      const healthy = (out.TargetHealthDescriptions ?? []).filter(
        (d) => d.TargetHealth?.State === 'healthy',
      ).length;
      health.set(arn, { healthyHostCount: healthy, exists: true });
    } catch (error) {
      if (error instanceof AwsCallError && TARGET_GROUP_NOT_FOUND.has(error.errorName)) {
        health.set(arn, { healthyHostCount: 0, exists: false });
        continue;
      }
      throw error;
    }
  }
  return health;
}
