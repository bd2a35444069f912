import { Duration, Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { LoadBalancerKind } from './types';
import { checkFleetTargetProtocol, checkHealthCheck, checkTargetStickiness } from './validation';

/** Settings every fleet's target group shares. */
export interface TargetGroupOptions {
  /**
   * The target group's name: at most 32 letters, digits and hyphens, no hyphen at either end.
   *
   * @default - a name CloudFormation generates
   */
  readonly targetGroupName?: string;

  /**
   * The protocol the load balancer uses to reach the targets.
   *
   * @default - HTTP behind an ALB, TCP behind an NLB
   */
  readonly targetProtocol?: elbv2.Protocol;

  /**
   * The port the targets listen on.
   *
   * @default 80
   */
  readonly targetPort?: number;

  /**
   * Health check settings. ALB and NLB take different ranges; they are checked at synth time.
   *
   * @default - the load balancer's defaults for the target group's protocol
   */
  readonly healthCheck?: elbv2.HealthCheck;

  /**
   * ALB only: keep each client on the same target for this long (1 second to 7 days) with a
   * load balancer cookie. In a forward action over several fleets it needs group stickiness.
   *
   * @default - no target stickiness
   */
  readonly targetStickinessDuration?: Duration;

  /**
   * How long the load balancer waits for in-flight requests before a target leaves the group.
   *
   * @default Duration.seconds(60)
   */
  readonly deregistrationDelay?: Duration;
}

/** What `createTargetGroup` returns: the group behind exactly one kind of load balancer. */
export interface CreatedTargetGroup {
  readonly protocol: elbv2.Protocol;
  readonly port: number;
  readonly fullName: string;
  readonly applicationTargetGroup?: elbv2.ApplicationTargetGroup;
  readonly networkTargetGroup?: elbv2.NetworkTargetGroup;
}

/** Makes an empty target group of the right kind, with its settings checked. */
export function createTargetGroup(
  scope: Construct,
  kind: LoadBalancerKind,
  vpc: ec2.IVpc,
  targetType: elbv2.TargetType,
  options: TargetGroupOptions,
): CreatedTargetGroup {
  const application = kind === LoadBalancerKind.APPLICATION;
  const protocol =
    options.targetProtocol ?? (application ? elbv2.Protocol.HTTP : elbv2.Protocol.TCP);
  const port = options.targetPort ?? 80;
  checkFleetTargetProtocol(kind, protocol);
  checkHealthCheck(kind, options.healthCheck, protocol);
  checkTargetStickiness(kind, options.targetStickinessDuration);

  const common = {
    vpc,
    port,
    targetType,
    targetGroupName: options.targetGroupName,
    healthCheck: options.healthCheck,
    deregistrationDelay: options.deregistrationDelay ?? Duration.seconds(60),
  };

  if (application) {
    const group = new elbv2.ApplicationTargetGroup(scope, 'TargetGroup', {
      ...common,
      stickinessCookieDuration: options.targetStickinessDuration,
      protocol: applicationProtocolOf(protocol),
    });
    return { protocol, port, fullName: group.targetGroupFullName, applicationTargetGroup: group };
  }
  const group = new elbv2.NetworkTargetGroup(scope, 'TargetGroup', { ...common, protocol });
  return { protocol, port, fullName: group.targetGroupFullName, networkTargetGroup: group };
}

/** `targetgroup/NAME/ID`, the CloudWatch dimension value, from a target group ARN. */
export function targetGroupFullNameFromArn(arn: string): string {
  return Fn.select(5, Fn.split(':', arn));
}

/** The same protocol in aws-cdk-lib's ALB-only enum. */
export function applicationProtocolOf(protocol: elbv2.Protocol): elbv2.ApplicationProtocol {
  return protocol === elbv2.Protocol.HTTPS
    ? elbv2.ApplicationProtocol.HTTPS
    : elbv2.ApplicationProtocol.HTTP;
}
