/**
 * Creates the blueprint's load balancer, target groups and weighted listener in moto through the
 * AWS SDK (moto's own CloudFormation cannot create weighted listeners), then resolves the
 * controller configuration's CloudFormation references against what moto created, so the handler
 * gets the configuration the construct would give it, with moto's ARNs in it.
 */
import {
  Action,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ControllerConfig, controllerConfigSchema } from '../lambda/contract';
import { forwardTargetGroups } from '../lambda/read-actions';
import { Blueprint, CfnValue } from './blueprint';
import { createMotoNetwork, runMotoInstances } from '../tools/moto-ec2';

export const MOTO_REGION = 'us-east-1';
const MOTO_ACCOUNT = '123456789012';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface MotoClients {
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly ssm: SSMClient;
}

export function motoClients(endpoint: string): MotoClients {
  const config = { endpoint, region: MOTO_REGION, credentials: CREDENTIALS, maxAttempts: 1 };
  return {
    elbv2: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
    ssm: new SSMClient(config),
  };
}

/** What a Lambda process reaching moto through the SDK's own settings needs in its environment. */
export function motoEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  };
}

export interface MotoDeployment {
  readonly endpoint: string;
  readonly clients: MotoClients;
  /** The configuration the construct would give the controller, with moto's ARNs resolved. */
  readonly config: ControllerConfig;
  /**
   * The configuration with only `labels` in the action, as the construct writes it for a
   * forward action of just those groups (before a canary group is added).
   */
  configFor(labels: readonly string[]): ControllerConfig;
  /**
   * Puts `configFor(labels)` where the function reads it (the template's own text with every
   * group) and returns the function's environment, resolved, to run the handler with.
   */
  useConfigFor(labels: readonly string[]): Promise<Record<string, string>>;
  /** Adds a group to the listener's forward action with weight 0, as a canary deploy does. */
  addToForwardAction(label: string): Promise<void>;
  readonly listenerArn: string;
  /** Target group ARNs in the blueprint's (and the configuration's) order. */
  readonly targetGroupArns: string[];
  /** Registers or deregisters instances so that `count` targets of the group are healthy. */
  setHealthyHosts(groupIndex: number, count: number): Promise<void>;
  /** The weights moto's listener holds now, in target group order. */
  readWeights(): Promise<number[]>;
}

export interface Resolved {
  readonly ref: string;
  readonly attributes: Record<string, string>;
}

/**
 * Resolves the intrinsic functions the constructs use in the listener and the configuration.
 * Anything else is an error naming the function, so a new construct feature cannot slip through
 * unresolved.
 */
export function resolveCfn(value: CfnValue, resources: ReadonlyMap<string, Resolved>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveCfn(v, resources));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, CfnValue>);
  const [key, arg] = entries[0] ?? [];
  if (entries.length === 1 && (key === 'Ref' || key.startsWith('Fn::'))) {
    switch (key) {
      case 'Ref':
        return refOf(String(arg), resources);
      case 'Fn::GetAtt': {
        const [id, attribute] = arg as [string, string];
        const found = resources.get(id)?.attributes[attribute];
        if (found === undefined)
          throw new Error(`Fn::GetAtt ${id}.${attribute} has no value in moto`);
        return found;
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, CfnValue[]];
        return parts.map((p) => String(resolveCfn(p, resources))).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, CfnValue];
        return (resolveCfn(list, resources) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, CfnValue];
        return String(resolveCfn(text, resources)).split(separator);
      }
      default:
        throw new Error(
          `the template uses ${key}, which the playground cannot resolve against moto`,
        );
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveCfn(v, resources)]));
}

function refOf(id: string, resources: ReadonlyMap<string, Resolved>): string {
  const pseudo: Record<string, string> = {
    'AWS::Region': MOTO_REGION,
    'AWS::AccountId': MOTO_ACCOUNT,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const found = pseudo[id] ?? resources.get(id)?.ref;
  if (found === undefined)
    throw new Error(`Ref ${id} names nothing the playground created in moto`);
  return found;
}

/**
 * Deploys the blueprint into moto: `hostsPerGroup[i]` instances are launched for group i (the
 * most it will ever have healthy), of which `initialHealthyHosts[i]` are registered. The forward
 * action routes to the `initialLabels` groups only; a later group is added with
 * `addToForwardAction`.
 */
export async function deployToMoto(
  endpoint: string,
  blueprint: Blueprint,
  hostsPerGroup: readonly number[],
  initialHealthyHosts: readonly number[],
  initialLabels: readonly string[] = blueprint.labels,
): Promise<MotoDeployment> {
  const clients = motoClients(endpoint);
  const { elbv2 } = clients;
  const resources = blueprint.template.Resources;

  const { vpcId, subnets } = await createMotoNetwork(endpoint, MOTO_REGION);

  const lbProps = resources[blueprint.loadBalancerId].Properties!;
  const lb = await elbv2.send(
    new CreateLoadBalancerCommand({
      Name: 'playground-web',
      Subnets: subnets,
      Type: lbProps.Type as 'application',
      Scheme: lbProps.Scheme as 'internet-facing',
    }),
  );
  const lbArn = lb.LoadBalancers![0].LoadBalancerArn!;
  const resolved = new Map<string, Resolved>();
  resolved.set(blueprint.loadBalancerId, {
    ref: lbArn,
    attributes: { LoadBalancerFullName: lbArn.split(':loadbalancer/')[1], LoadBalancerArn: lbArn },
  });

  const targetGroupArns: string[] = [];
  const instancePools: string[][] = [];
  for (const [i, id] of blueprint.targetGroupIds.entries()) {
    const props = resources[id].Properties!;
    const tg = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: `playground-${blueprint.labels[i]}`,
        Protocol: props.Protocol as 'HTTP',
        Port: props.Port as number,
        TargetType: props.TargetType as 'instance',
        VpcId: vpcId,
      }),
    );
    const arn = tg.TargetGroups![0].TargetGroupArn!;
    targetGroupArns.push(arn);
    resolved.set(id, {
      ref: arn,
      attributes: { TargetGroupFullName: arn.split(':')[5], TargetGroupArn: arn },
    });
    instancePools.push(await runMotoInstances(endpoint, MOTO_REGION, subnets[0], hostsPerGroup[i]));
  }

  const listenerProps = resources[blueprint.listenerId].Properties!;
  const initialArns = new Set(
    initialLabels.map((label) => targetGroupArns[blueprint.labels.indexOf(label)]),
  );
  const defaultActions = (resolveCfn(listenerProps.DefaultActions, resolved) as Action[]).map(
    (action) =>
      action.ForwardConfig?.TargetGroups
        ? {
            ...action,
            ForwardConfig: {
              ...action.ForwardConfig,
              TargetGroups: action.ForwardConfig.TargetGroups.filter((tg) =>
                initialArns.has(tg.TargetGroupArn!),
              ),
            },
          }
        : action,
  );
  const listener = await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: listenerProps.Protocol as 'HTTP',
      Port: listenerProps.Port as number,
      DefaultActions: defaultActions,
    }),
  );
  const listenerArn = listener.Listeners![0].ListenerArn!;
  resolved.set(blueprint.listenerId, {
    ref: listenerArn,
    attributes: { ListenerArn: listenerArn },
  });

  // Without a name in the template, CloudFormation would name the parameter; moto gets this one.
  const configParameterName = '/weighted-balancer/playground/configuration';
  if (blueprint.configParameterId) {
    resolved.set(blueprint.configParameterId, { ref: configParameterName, attributes: {} });
  }
  const configText = String(resolveCfn(blueprint.configExpression, resolved));
  const config = controllerConfigSchema.parse(JSON.parse(configText));
  const functionEnvironment = resolveCfn(blueprint.functionEnvironment, resolved) as Record<
    string,
    string
  >;

  const registered = instancePools.map(() => 0);
  const setHealthyHosts = async (groupIndex: number, count: number): Promise<void> => {
    const pool = instancePools[groupIndex];
    const want = Math.min(count, pool.length);
    const have = registered[groupIndex];
    if (want > have) {
      const Targets = pool.slice(have, want).map((Id) => ({ Id }));
      await elbv2.send(
        new RegisterTargetsCommand({ TargetGroupArn: targetGroupArns[groupIndex], Targets }),
      );
    } else if (want < have) {
      const Targets = pool.slice(want, have).map((Id) => ({ Id }));
      await elbv2.send(
        new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArns[groupIndex], Targets }),
      );
    }
    registered[groupIndex] = want;
  };
  for (const [i, count] of initialHealthyHosts.entries()) await setHealthyHosts(i, count);

  const readWeights = async (): Promise<number[]> => {
    const out = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
    const forward = out.Listeners![0].DefaultActions!.find((a) => a.Type === 'forward')!;
    const groups = forwardTargetGroups(forward);
    return targetGroupArns.map((arn) => groups.find((g) => g.targetGroupArn === arn)?.weight ?? 0);
  };

  const configFor = (labels: readonly string[]): ControllerConfig => ({
    ...config,
    actions: config.actions.map((action) => {
      const keep = action.targetGroups.map((tg) => labels.includes(tg.label));
      return {
        ...action,
        targetGroups: action.targetGroups.filter((_, i) => keep[i]),
        templateWeights: action.templateWeights?.filter((_, i) => keep[i]),
      };
    }),
  });

  const addToForwardAction = async (label: string): Promise<void> => {
    const arn = targetGroupArns[blueprint.labels.indexOf(label)];
    const out = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
    const DefaultActions = out.Listeners![0].DefaultActions!.map((action) => {
      if (action.Type !== 'forward') return action;
      const { TargetGroupArn: _single, ...rest } = action;
      const TargetGroups = [
        ...(action.ForwardConfig?.TargetGroups ?? []),
        { TargetGroupArn: arn, Weight: 0 },
      ];
      return { ...rest, ForwardConfig: { ...action.ForwardConfig, TargetGroups } };
    });
    await elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions }));
  };

  return {
    endpoint,
    clients,
    config,
    configFor,
    useConfigFor: async (labels) => {
      const text = blueprint.labels.every((l) => labels.includes(l))
        ? configText
        : JSON.stringify(configFor(labels));
      if (!blueprint.configParameterId) return { ...functionEnvironment, CONTROLLER_CONFIG: text };
      await clients.ssm.send(
        new PutParameterCommand({
          Name: configParameterName,
          Value: text,
          Type: 'String',
          Overwrite: true,
        }),
      );
      return functionEnvironment;
    },
    addToForwardAction,
    listenerArn,
    targetGroupArns,
    setHealthyHosts,
    readWeights,
  };
}
