/**
 * What the playground deploys, taken from a synthesized stack rather than written by hand: an ALB
 * service shaped like the example app's, with one fleet per scenario group and the
 * WeightController that steers it. The blueprint keeps the template's listener, target groups and
 * controller configuration (still holding CloudFormation references), and the directory of the
 * handler code the construct deploys: the pre-bundled handler, or the custom-policy bundle that
 * the construct builds with esbuild at synth.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Fleet, LoadBalancerKind, WeightController, WeightedLoadBalancer } from '../lib';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
export const PLAYGROUND_STATE_PARAMETER = '/weighted-balancer/playground/state';

export interface BlueprintGroup {
  readonly label: string;
  /** The weight the template declares, as the simulator starts with it. */
  readonly weight: number;
}

export interface BlueprintOptions {
  readonly groups: readonly BlueprintGroup[];
  /** A built-in policy's name; ignored when `policyFile` is set. */
  readonly policy?: string;
  /** A custom policy file, bundled by the construct exactly as for a deploy. */
  readonly policyFile?: string;
  readonly policyParameters?: Record<string, unknown>;
}

export type CfnValue = unknown;

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, CfnValue>;
}

export interface Blueprint {
  readonly template: { readonly Resources: Record<string, CfnResource> };
  readonly loadBalancerId: string;
  readonly listenerId: string;
  /** Target group logical ids, in the listener's forward-action order. */
  readonly targetGroupIds: string[];
  readonly labels: string[];
  /** The controller function's environment variables, CloudFormation expressions. */
  readonly functionEnvironment: Record<string, CfnValue>;
  /**
   * The controller configuration, a CloudFormation expression: the function's CONTROLLER_CONFIG,
   * or the value of the SSM parameter the construct uses when the configuration is too large.
   */
  readonly configExpression: CfnValue;
  /** The logical id of that SSM parameter; undefined when the configuration is inline. */
  readonly configParameterId: string | undefined;
  /** The directory holding the handler code the controller function deploys (index.js). */
  readonly handlerDir: string;
  /** The cloud assembly directory; remove it with `disposeBlueprint`. */
  readonly outdir: string;
}

/** Synthesizes the playground stack (8 s or so: a custom policy is bundled by esbuild). */
export function synthesizeBlueprint(options: BlueprintOptions): Blueprint {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-cdk-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Playground', { env: { region: REGION, account: ACCOUNT } });

  const web = new WeightedLoadBalancer(stack, 'Web', {
    loadBalancerKind: LoadBalancerKind.APPLICATION,
  });
  const fleets = options.groups.map(
    (group) =>
      new Fleet(stack, `Fleet${group.label}`, {
        vpc: web.vpc,
        loadBalancerKind: LoadBalancerKind.APPLICATION,
        label: group.label,
        instanceType: new ec2.InstanceType('m7g.large'),
        machineImage: ec2.MachineImage.latestAmazonLinux2023({
          cpuType: ec2.AmazonLinuxCpuType.ARM_64,
        }),
        minCapacity: 1,
        maxCapacity: 10,
      }),
  );
  web.forwardTo(fleets.map((fleet, i) => ({ fleet, weight: options.groups[i].weight })));
  const controller = new WeightController(stack, 'Controller', {
    actions: web.steeredActions(),
    policy: options.policyFile ? undefined : options.policy,
    policyFile: options.policyFile,
    policyParameters: options.policyParameters,
    stateParameterName: PLAYGROUND_STATE_PARAMETER,
  });

  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const template = artifact.template as Blueprint['template'];
  const idOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);

  const listenerId = idOf(web.applicationListener!);
  const listener = template.Resources[listenerId];
  const forward = (listener.Properties!.DefaultActions as { ForwardConfig?: unknown }[])[0]
    .ForwardConfig as { TargetGroups: { TargetGroupArn: { Ref: string } }[] };
  const fn = template.Resources[idOf(controller.function as never)];
  const variables = (fn.Properties!.Environment as { Variables: Record<string, CfnValue> })
    .Variables;
  const configParameterId = controller.configParameter
    ? idOf(controller.configParameter)
    : undefined;

  return {
    template,
    loadBalancerId: idOf(web.applicationLoadBalancer!),
    listenerId,
    targetGroupIds: forward.TargetGroups.map((tg) => tg.TargetGroupArn.Ref),
    labels: options.groups.map((g) => g.label),
    functionEnvironment: variables,
    configExpression: configParameterId
      ? template.Resources[configParameterId].Properties!.Value
      : variables.CONTROLLER_CONFIG,
    configParameterId,
    handlerDir: handlerDirOf(outdir, fn),
    outdir,
  };
}

export function disposeBlueprint(blueprint: Blueprint): void {
  fs.rmSync(blueprint.outdir, { recursive: true, force: true });
}

/** Finds the function's code asset (its S3 key is the asset hash) in the asset manifest. */
function handlerDirOf(outdir: string, fn: CfnResource): string {
  const code = fn.Properties!.Code as { S3Key?: string };
  const hash = String(code.S3Key ?? '').replace(/\.zip$/, '');
  const manifests = fs.readdirSync(outdir).filter((name) => name.endsWith('.assets.json'));
  for (const name of manifests) {
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, name), 'utf8')) as {
      files?: Record<string, { source: { path: string } }>;
    };
    const file = manifest.files?.[hash];
    if (file) return path.join(outdir, file.source.path);
  }
  throw new Error(`the controller function's code asset ${hash} is missing from ${outdir}`);
}
