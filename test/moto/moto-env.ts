/**
 * Builds load balancers in moto for the integration tests: a VPC, instances, an ALB with three
 * target groups, a weighted listener and a weighted rule (or an NLB with two groups), and the
 * controller configuration that steers them.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ControllerConfigInput } from '../../lambda/contract';
import { forwardTargetGroups } from '../../lambda/read-actions';
import { createMotoNetwork, runMotoInstances } from '../../tools/moto-ec2';

export const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function motoClients(endpoint: string) {
  const config = { endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
  return {
    elbv2: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
    ssm: new SSMClient(config),
  };
}

/** The environment a process needs to reach moto through the SDK's own settings. */
export function motoEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  };
}

export interface GroupSpec {
  readonly label: string;
  readonly healthyHosts: number;
}

export interface MotoLoadBalancer {
  readonly config: ControllerConfigInput;
  readonly listenerArn: string;
  readonly ruleArn: string | undefined;
  readonly targetGroupArns: string[];
  /** CloudWatch dimensions per group, configuration order. */
  readonly dimensions: { LoadBalancer: string; TargetGroup: string }[];
}

/**
 * An ALB with one target group per spec (each with that many healthy instances), a listener and a
 * path rule that both forward to all groups with weight `initialWeight`.
 */
export async function createLoadBalancer(
  endpoint: string,
  type: 'application' | 'network',
  groups: readonly GroupSpec[],
  options: { initialWeight?: number; stateParameterName?: string; withRule?: boolean } = {},
): Promise<MotoLoadBalancer> {
  const { elbv2 } = motoClients(endpoint);
  const { vpcId, subnets } = await createMotoNetwork(endpoint, REGION);
  const name = type === 'application' ? 'web' : 'net';
  const lb = await elbv2.send(
    new CreateLoadBalancerCommand({ Name: name, Subnets: subnets, Type: type }),
  );
  const lbArn = lb.LoadBalancers![0].LoadBalancerArn!;
  const lbDimension = lbArn.split(':loadbalancer/')[1];

  const targetGroupArns: string[] = [];
  for (const g of groups) {
    const tg = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: `${name}-${g.label}`,
        Protocol: type === 'application' ? 'HTTP' : 'TCP',
        Port: 80,
        VpcId: vpcId,
        TargetType: 'instance',
      }),
    );
    const arn = tg.TargetGroups![0].TargetGroupArn!;
    targetGroupArns.push(arn);
    const ids = await runMotoInstances(endpoint, REGION, subnets[0], g.healthyHosts);
    if (ids.length)
      await elbv2.send(
        new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: ids.map((Id) => ({ Id })) }),
      );
  }

  const weight = options.initialWeight ?? 10;
  const forward = {
    Type: 'forward' as const,
    ForwardConfig: {
      TargetGroups: targetGroupArns.map((TargetGroupArn) => ({ TargetGroupArn, Weight: weight })),
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 120 },
    },
  };
  const listener = await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: type === 'application' ? 'HTTP' : 'TCP',
      Port: 80,
      DefaultActions: [forward],
    }),
  );
  const listenerArn = listener.Listeners![0].ListenerArn!;
  let ruleArn: string | undefined;
  if (type === 'application' && options.withRule !== false) {
    const rule = await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
        Actions: [forward],
      }),
    );
    ruleArn = rule.Rules![0].RuleArn!;
  }

  const dimensions = targetGroupArns.map((arn) => ({
    LoadBalancer: lbDimension,
    TargetGroup: arn.split(':').pop()!,
  }));
  const targetGroups = groups.map((g, i) => ({
    targetGroupArn: targetGroupArns[i],
    label: g.label,
    dimensions: dimensions[i],
  }));
  const templateWeights = groups.map(() => weight);
  const actions: ControllerConfigInput['actions'] = [
    { id: `${name}-default`, loadBalancerType: type, listenerArn, targetGroups, templateWeights },
  ];
  if (ruleArn)
    actions.push({
      id: `${name}-api`,
      loadBalancerType: type,
      listenerArn,
      ruleArn,
      targetGroups,
      templateWeights,
    });

  const config: ControllerConfigInput = {
    version: 1,
    actions,
    policy: { name: 'healthy-hosts', parameters: {} },
    guardrails: { minShare: 0.02, maxStepUp: 0.5, deadband: 0.01, minGroupsWithData: 1 },
    metrics: { delayMinutes: 2, windowMinutes: 5, namespace: 'WeightedBalancerTest' },
    stateParameterName: options.stateParameterName ?? '/weighted-balancer/test/state',
    outsideChangeHoldMinutes: 30,
  };
  return { config, listenerArn, ruleArn, targetGroupArns, dimensions };
}

/** Puts one datapoint per minute of `minuteStartsMs` for each group's ELB metrics. */
export async function putElbMinutes(
  endpoint: string,
  lb: MotoLoadBalancer,
  type: 'application' | 'network',
  minuteStartsMs: readonly number[],
  perGroup: readonly { requestCount?: number; latencySeconds?: number; healthyHosts: number }[],
): Promise<void> {
  const { cloudwatch } = motoClients(endpoint);
  const namespace = type === 'application' ? 'AWS/ApplicationELB' : 'AWS/NetworkELB';
  for (const [i, values] of perGroup.entries()) {
    const Dimensions = [
      { Name: 'LoadBalancer', Value: lb.dimensions[i].LoadBalancer },
      { Name: 'TargetGroup', Value: lb.dimensions[i].TargetGroup },
    ];
    const MetricData = minuteStartsMs.flatMap((ms) => {
      const Timestamp = new Date(ms + 30_000);
      const data = [
        { MetricName: 'HealthyHostCount', Dimensions, Timestamp, Value: values.healthyHosts },
      ];
      if (values.requestCount !== undefined)
        data.push({
          MetricName: 'RequestCount',
          Dimensions,
          Timestamp,
          Value: values.requestCount,
        });
      if (values.latencySeconds !== undefined)
        data.push({
          MetricName: 'TargetResponseTime',
          Dimensions,
          Timestamp,
          Value: values.latencySeconds,
        });
      return data;
    });
    await cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData }));
  }
}

/** The weights moto holds now, in `lb.targetGroupArns` order. */
export async function weightsInMoto(
  endpoint: string,
  lb: MotoLoadBalancer,
  which: 'listener' | 'rule',
): Promise<number[]> {
  const { elbv2 } = motoClients(endpoint);
  const actions =
    which === 'listener'
      ? (await elbv2.send(new DescribeListenersCommand({ ListenerArns: [lb.listenerArn] })))
          .Listeners![0].DefaultActions!
      : (await elbv2.send(new DescribeRulesCommand({ RuleArns: [lb.ruleArn!] }))).Rules![0]
          .Actions!;
  const groups = forwardTargetGroups(actions.find((a) => a.Type === 'forward')!);
  return lb.targetGroupArns.map((arn) => groups.find((g) => g.targetGroupArn === arn)?.weight ?? 0);
}
