import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { targetGroupFullNameFromArn } from './target-group';
import { IFleet, LoadBalancerKind } from './types';
import { checkLabel, withPath } from './validation';

/** A target group that already exists, for `Fleet.fromTargetGroupArn`. */
export interface ImportedFleetAttributes {
  /** The target group's ARN. */
  readonly targetGroupArn: string;

  /** The kind of load balancer the target group is for. */
  readonly loadBalancerKind: LoadBalancerKind;

  /** A short label for logs, metrics and the dashboard, e.g. "legacy". */
  readonly label: string;
}

/**
 * A target group made elsewhere. Its targets' security groups are not touched: they must already
 * admit the load balancer.
 */
export class ImportedFleet extends Construct implements IFleet {
  public readonly label: string;
  public readonly loadBalancerKind: LoadBalancerKind;
  public readonly targetGroupArn: string;
  public readonly targetGroupFullName: string;
  public readonly applicationTargetGroup?: elbv2.IApplicationTargetGroup;
  public readonly networkTargetGroup?: elbv2.INetworkTargetGroup;

  constructor(scope: Construct, id: string, attrs: ImportedFleetAttributes) {
    super(scope, id);
    withPath(this, () => checkLabel('label', attrs.label));

    this.label = attrs.label;
    this.loadBalancerKind = attrs.loadBalancerKind;
    this.targetGroupArn = attrs.targetGroupArn;
    this.targetGroupFullName = targetGroupFullNameFromArn(attrs.targetGroupArn);

    const imported = { targetGroupArn: attrs.targetGroupArn };
    if (attrs.loadBalancerKind === LoadBalancerKind.APPLICATION) {
      this.applicationTargetGroup = elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(
        this,
        'TargetGroup',
        imported,
      );
    } else {
      this.networkTargetGroup = elbv2.NetworkTargetGroup.fromTargetGroupAttributes(
        this,
        'TargetGroup',
        imported,
      );
    }
  }
}
