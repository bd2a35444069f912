import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IConstruct } from 'constructs';

/**
 * The kind of load balancer a fleet sits behind. The values are the controller contract's
 * `loadBalancerType` strings.
 */
export enum LoadBalancerKind {
  /** An Application Load Balancer: HTTP or HTTPS listener, path and host rules. */
  APPLICATION = 'application',
  /** A Network Load Balancer: TCP, TLS, UDP or TCP_UDP listener. */
  NETWORK = 'network',
}

/**
 * A set of targets in one target group that a weighted forward action can send traffic to.
 *
 * `Fleet` (an Auto Scaling group), `ExistingTargetsFleet` (IP addresses or instance IDs) and
 * `Fleet.fromTargetGroupArn` (an imported target group) implement it.
 */
export interface IFleet extends IConstruct {
  /** A short label for logs, metrics and the dashboard, e.g. "on-demand". */
  readonly label: string;

  /** The kind of load balancer the target group belongs behind. */
  readonly loadBalancerKind: LoadBalancerKind;

  /** The target group's ARN. */
  readonly targetGroupArn: string;

  /** The target group's CloudWatch `TargetGroup` dimension value, `targetgroup/NAME/ID`. */
  readonly targetGroupFullName: string;

  /**
   * The protocol traffic reaches the targets with.
   *
   * @default - unknown, for an imported target group
   */
  readonly targetProtocol?: elbv2.Protocol;

  /**
   * The targets' network connections, so the load balancer can be allowed in.
   *
   * @default - none: the targets' security groups are managed elsewhere
   */
  readonly connections?: ec2.Connections;

  /**
   * The port the targets listen on, opened to the load balancer's security group.
   *
   * @default - none: the targets' security groups are managed elsewhere
   */
  readonly targetPort?: number;

  /**
   * How long an ALB keeps a client on the same target (load balancer cookie stickiness).
   *
   * @default - no target stickiness, or unknown for an imported target group
   */
  readonly targetStickinessDuration?: Duration;

  /**
   * The target group, when the fleet sits behind an Application Load Balancer.
   *
   * @default - undefined for a fleet behind a Network Load Balancer
   */
  readonly applicationTargetGroup?: elbv2.IApplicationTargetGroup;

  /**
   * The target group, when the fleet sits behind a Network Load Balancer.
   *
   * @default - undefined for a fleet behind an Application Load Balancer
   */
  readonly networkTargetGroup?: elbv2.INetworkTargetGroup;
}

/** A fleet and its weight in a weighted forward action. */
export interface WeightedFleet {
  /** The fleet whose target group receives this share of the traffic. */
  readonly fleet: IFleet;

  /**
   * The fleet's weight, an integer from 0 to 999. Traffic is split in proportion to the weights.
   */
  readonly weight: number;
}
