/** Small builders shared by the controller's unit tests. */
import { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ControllerConfig,
  controllerConfigSchema,
  ControllerConfigInput,
  SteeredAction,
} from '../../lambda/contract';
import { RetryPolicy } from '../../lambda/aws-call';

export const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const RULE_ARN =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
export const tgArn = (name: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/${name}/73e2d6bc24d8a067`;

export const LABELS = ['on-demand', 'spot', 'canary'];

export function actionConfig(overrides: Partial<ControllerConfigInput['actions'][number]> = {}) {
  return {
    id: 'web-default',
    loadBalancerType: 'application' as const,
    listenerArn: LISTENER_ARN,
    targetGroups: LABELS.map((label) => ({
      targetGroupArn: tgArn(label),
      label,
      dimensions: {
        LoadBalancer: 'app/web/50dc6c495c0c9188',
        TargetGroup: `targetgroup/${label}/73e2d6bc24d8a067`,
      },
    })),
    templateWeights: [10, 10, 10],
    ...overrides,
  };
}

export function configInput(overrides: Partial<ControllerConfigInput> = {}): ControllerConfigInput {
  return {
    version: 1,
    actions: [actionConfig()],
    policy: { name: 'healthy-hosts', parameters: {} },
    guardrails: { minShare: 0.02, maxStepUp: 1, deadband: 0.01, minGroupsWithData: 1 },
    stateParameterName: '/wb/state',
    ...overrides,
  };
}

export function config(overrides: Partial<ControllerConfigInput> = {}): ControllerConfig {
  return controllerConfigSchema.parse(configInput(overrides));
}

export function steered(
  overrides: Partial<ControllerConfigInput['actions'][number]> = {},
): SteeredAction {
  return config({ actions: [actionConfig(overrides)] }).actions[0];
}

export function forwardAction(weights: readonly number[], labels = LABELS): Action {
  return {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: labels.map((label, i) => ({
        TargetGroupArn: tgArn(label),
        Weight: weights[i],
      })),
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    },
  };
}

/** Retries at once and records each wait, so backoff is checked without waiting. */
export function instantRetry(maxAttempts = 4): RetryPolicy & { readonly waits: number[] } {
  const waits: number[] = [];
  return {
    maxAttempts,
    baseDelayMs: 100,
    maxDelayMs: 2000,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    waits,
  };
}

/** An SDK-shaped error, as aws-sdk-client-mock rejects with. */
export function awsError(name: string, status = 400, message = `${name} from the test`): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}
