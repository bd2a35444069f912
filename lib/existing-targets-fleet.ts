import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import { Construct } from 'constructs';
import { createTargetGroup, TargetGroupOptions } from './target-group';
import { IFleet, LoadBalancerKind } from './types';
import { checkLabel, fail, withPath } from './validation';

export interface ExistingTargetsFleetProps extends TargetGroupOptions {
  /** The VPC the target group lives in. */
  readonly vpc: ec2.IVpc;

  /** The kind of load balancer the target group is for. */
  readonly loadBalancerKind: LoadBalancerKind;

  /** A short label for logs, metrics and the dashboard, e.g. "legacy". */
  readonly label: string;

  /**
   * IP addresses to register. Set this or `instanceIds`, not both.
   *
   * @default - none: `instanceIds` must be set
   */
  readonly ipAddresses?: string[];

  /**
   * EC2 instance IDs to register. Set this or `ipAddresses`, not both.
   *
   * @default - none: `ipAddresses` must be set
   */
  readonly instanceIds?: string[];

  /**
   * The targets' security groups, opened to the load balancer on the target port.
   *
   * @default - none: the targets' security groups are managed elsewhere
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A new target group around targets that already run (IP addresses or instances), so they can
 * take a weighted share of the traffic.
 */
export class ExistingTargetsFleet extends Construct implements IFleet {
  public readonly label: string;
  public readonly loadBalancerKind: LoadBalancerKind;
  public readonly targetGroupArn: string;
  public readonly targetGroupFullName: string;
  public readonly targetProtocol: elbv2.Protocol;
  public readonly targetPort: number;
  public readonly targetStickinessDuration?: Duration;
  public readonly connections?: ec2.Connections;
  public readonly applicationTargetGroup?: elbv2.IApplicationTargetGroup;
  public readonly networkTargetGroup?: elbv2.INetworkTargetGroup;

  constructor(scope: Construct, id: string, props: ExistingTargetsFleetProps) {
    super(scope, id);
    const ips = props.ipAddresses ?? [];
    const instances = props.instanceIds ?? [];

    const created = withPath(this, () => {
      checkLabel('label', props.label);
      if ((ips.length === 0) === (instances.length === 0)) {
        fail(
          `ipAddresses holds ${ips.length} and instanceIds holds ${instances.length}; ` +
            `set exactly one of them, with at least one target`,
        );
      }
      const targetType = ips.length > 0 ? elbv2.TargetType.IP : elbv2.TargetType.INSTANCE;
      return createTargetGroup(this, props.loadBalancerKind, props.vpc, targetType, props);
    });

    this.label = props.label;
    this.loadBalancerKind = props.loadBalancerKind;
    this.targetProtocol = created.protocol;
    this.targetPort = created.port;
    this.targetStickinessDuration = props.targetStickinessDuration;
    this.targetGroupFullName = created.fullName;
    this.applicationTargetGroup = created.applicationTargetGroup;
    this.networkTargetGroup = created.networkTargetGroup;
    this.targetGroupArn = (created.applicationTargetGroup ??
      created.networkTargetGroup)!.targetGroupArn;
    if (props.securityGroups && props.securityGroups.length > 0) {
      this.connections = new ec2.Connections({ securityGroups: props.securityGroups });
    }

    const registered = [
      ...ips.map((ip) => new targets.IpTarget(ip, created.port)),
      ...instances.map((instanceId) => new targets.InstanceIdTarget(instanceId, created.port)),
    ];
    created.applicationTargetGroup?.addTarget(...registered);
    created.networkTargetGroup?.addTarget(...registered);
  }
}
