import { Duration, Lazy, Size, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ImportedFleet, ImportedFleetAttributes } from './imported-fleet';
import { createTargetGroup, TargetGroupOptions } from './target-group';
import { IFleet, LoadBalancerKind } from './types';
import { checkInteger, checkLabel, fail, withPath } from './validation';

/** On-demand and spot instances of several types in one Auto Scaling group. */
export interface MixedInstancesOptions {
  /** The instance types to launch, in order of preference for on-demand capacity. */
  readonly instanceTypes: ec2.InstanceType[];

  /**
   * How many instances are always on-demand.
   *
   * @default 0
   */
  readonly onDemandBaseCapacity?: number;

  /**
   * The percentage (0–100) of capacity above the base that is on-demand; the rest is spot.
   *
   * @default 0
   */
  readonly onDemandPercentageAboveBaseCapacity?: number;

  /**
   * How spot capacity is spread over the instance types.
   *
   * @default autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
   */
  readonly spotAllocationStrategy?: autoscaling.SpotAllocationStrategy;
}

/** A capacity change at set times. */
export interface FleetScheduledAction extends autoscaling.BasicScheduledActionProps {
  /** The id of the scheduled action's construct, unique within the fleet. */
  readonly id: string;
}

export interface FleetProps extends TargetGroupOptions {
  /** The VPC the instances and the target group live in. */
  readonly vpc: ec2.IVpc;

  /** The kind of load balancer whose target group the instances register in. */
  readonly loadBalancerKind: LoadBalancerKind;

  /** A short label for logs, metrics and the dashboard, e.g. "on-demand". */
  readonly label: string;

  /**
   * One instance type for every instance. Set this or `mixedInstances`, not both.
   *
   * @default - none: `mixedInstances` must be set
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Several instance types, on-demand and spot. Set this or `instanceType`, not both.
   *
   * @default - none: `instanceType` must be set
   */
  readonly mixedInstances?: MixedInstancesOptions;

  /**
   * The image the instances boot.
   *
   * @default - the latest Amazon Linux 2023
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * The role the instances run as.
   *
   * @default - no role: the instances call no AWS API
   */
  readonly role?: iam.IRole;

  /**
   * Commands run at boot.
   *
   * @default - the image's default user data
   */
  readonly userData?: ec2.UserData;

  /**
   * The size of the encrypted root volume.
   *
   * @default Size.gibibytes(8)
   */
  readonly rootVolumeSize?: Size;

  /**
   * The subnets the instances launch in.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /** @default 1 */
  readonly minCapacity?: number;

  /** @default - the larger of minCapacity and 2 */
  readonly maxCapacity?: number;

  /**
   * @default - left to Auto Scaling: minCapacity at first, then what scaling decides
   */
  readonly desiredCapacity?: number;

  /**
   * Target tracking on ALBRequestCountPerTarget: the requests per minute each target should get.
   * Only behind an Application Load Balancer.
   *
   * @default - no scaling on request count
   */
  readonly targetRequestsPerMinutePerTarget?: number;

  /**
   * Target tracking on average CPU utilization, in percent (1–100).
   *
   * @default - no scaling on CPU
   */
  readonly targetCpuUtilizationPercent?: number;

  /**
   * Capacity changes at set times.
   *
   * @default - none
   */
  readonly scheduledActions?: FleetScheduledAction[];

  /**
   * How long a new instance has before failed load balancer health checks get it replaced.
   *
   * @default Duration.minutes(5)
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * A topic told of every launch, termination and their errors.
   *
   * @default - no notifications
   */
  readonly notificationsTopic?: sns.ITopic;
}

/**
 * An Auto Scaling group registered in a target group of its own, ready for a weighted forward
 * action: IMDSv2 required, an encrypted root volume, one instance type or an on-demand/spot mix,
 * and target tracking on request count or CPU plus scheduled actions.
 *
 * @example
 * const onDemand = new Fleet(this, 'OnDemand', {
 *   vpc,
 *   loadBalancerKind: LoadBalancerKind.APPLICATION,
 *   label: 'on-demand',
 *   instanceType: new ec2.InstanceType('m7g.large'),
 *   targetRequestsPerMinutePerTarget: 6000,
 * });
 */
export class Fleet extends Construct implements IFleet {
  /** Wraps a target group that already exists, so its targets can join a weighted action. */
  public static fromTargetGroupArn(
    scope: Construct,
    id: string,
    attrs: ImportedFleetAttributes,
  ): IFleet {
    return new ImportedFleet(scope, id, attrs);
  }

  public readonly label: string;
  public readonly loadBalancerKind: LoadBalancerKind;
  public readonly targetGroupArn: string;
  public readonly targetGroupFullName: string;
  public readonly targetProtocol: elbv2.Protocol;
  public readonly targetPort: number;
  public readonly targetStickinessDuration?: Duration;
  public readonly connections: ec2.Connections;
  public readonly applicationTargetGroup?: elbv2.IApplicationTargetGroup;
  public readonly networkTargetGroup?: elbv2.INetworkTargetGroup;

  /** The Auto Scaling group. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;

  /** The launch template the instances start from. */
  public readonly launchTemplate: ec2.LaunchTemplate;

  constructor(scope: Construct, id: string, props: FleetProps) {
    super(scope, id);
    withPath(this, () => checkFleetProps(props));

    this.label = props.label;
    this.loadBalancerKind = props.loadBalancerKind;

    const targetGroup = withPath(this, () =>
      createTargetGroup(this, props.loadBalancerKind, props.vpc, elbv2.TargetType.INSTANCE, props),
    );
    this.targetProtocol = targetGroup.protocol;
    this.targetPort = targetGroup.port;
    this.targetStickinessDuration = props.targetStickinessDuration;
    this.targetGroupFullName = targetGroup.fullName;
    this.applicationTargetGroup = targetGroup.applicationTargetGroup;
    this.networkTargetGroup = targetGroup.networkTargetGroup;
    this.targetGroupArn = (targetGroup.applicationTargetGroup ??
      targetGroup.networkTargetGroup)!.targetGroupArn;

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: props.instanceType,
      machineImage: props.machineImage ?? ec2.MachineImage.latestAmazonLinux2023(),
      userData: props.userData ?? ec2.UserData.forLinux(),
      requireImdsv2: true,
      role: props.role,
      securityGroup: new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: `Instances of fleet ${props.label}: traffic only from its load balancer`,
        allowAllOutbound: true,
      }),
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(
            (props.rootVolumeSize ?? Size.gibibytes(8)).toGibibytes(),
            {
              encrypted: true,
              volumeType: ec2.EbsDeviceVolumeType.GP3,
              deleteOnTermination: true,
            },
          ),
        },
      ],
    });
    this.connections = this.launchTemplate.connections;

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      minCapacity: props.minCapacity ?? 1,
      maxCapacity: props.maxCapacity ?? Math.max(props.minCapacity ?? 1, 2),
      desiredCapacity: props.desiredCapacity,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: props.healthCheckGracePeriod ?? Duration.minutes(5),
      }),
      notifications: props.notificationsTopic
        ? [{ topic: props.notificationsTopic, scalingEvents: autoscaling.ScalingEvents.ALL }]
        : undefined,
      ...(props.mixedInstances
        ? { mixedInstancesPolicy: mixedInstancesPolicy(this.launchTemplate, props.mixedInstances) }
        : { launchTemplate: this.launchTemplate }),
    });

    if (targetGroup.applicationTargetGroup) {
      this.autoScalingGroup.attachToApplicationTargetGroup(targetGroup.applicationTargetGroup);
    } else {
      this.autoScalingGroup.attachToNetworkTargetGroup(targetGroup.networkTargetGroup!);
    }

    this.addScaling(props);

    if (props.mixedInstances) {
      Validations.of(this.autoScalingGroup.node.defaultChild!).acknowledge({
        id: 'AwsSolutions-EC26',
        reason:
          'The rule cannot follow a mixed instances policy to its launch template; that template ' +
          'encrypts the root volume.',
      });
    }
  }

  private addScaling(props: FleetProps): void {
    const albGroup = this.applicationTargetGroup as elbv2.ApplicationTargetGroup | undefined;
    if (props.targetRequestsPerMinutePerTarget !== undefined && albGroup) {
      // scaleOnRequestCount() needs the load balancer now; the fleet meets it only later. The
      // label refers to the listener, so the policy is created after the group is attached.
      new autoscaling.TargetTrackingScalingPolicy(this, 'RequestCountScaling', {
        autoScalingGroup: this.autoScalingGroup,
        predefinedMetric: autoscaling.PredefinedMetric.ALB_REQUEST_COUNT_PER_TARGET,
        targetValue: props.targetRequestsPerMinutePerTarget,
        resourceLabel: Lazy.string({
          produce: () => `${albGroup.firstLoadBalancerFullName}/${albGroup.targetGroupFullName}`,
        }),
      });
    }
    if (props.targetCpuUtilizationPercent !== undefined) {
      this.autoScalingGroup.scaleOnCpuUtilization('CpuScaling', {
        targetUtilizationPercent: props.targetCpuUtilizationPercent,
      });
    }
    for (const action of props.scheduledActions ?? []) {
      const { id, ...scheduled } = action;
      this.autoScalingGroup.scaleOnSchedule(id, scheduled);
    }
  }
}

function mixedInstancesPolicy(
  launchTemplate: ec2.LaunchTemplate,
  options: MixedInstancesOptions,
): autoscaling.MixedInstancesPolicy {
  return {
    launchTemplate,
    launchTemplateOverrides: options.instanceTypes.map((instanceType) => ({ instanceType })),
    instancesDistribution: {
      onDemandBaseCapacity: options.onDemandBaseCapacity ?? 0,
      onDemandPercentageAboveBaseCapacity: options.onDemandPercentageAboveBaseCapacity ?? 0,
      spotAllocationStrategy:
        options.spotAllocationStrategy ??
        autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
    },
  };
}

/**
 * AWS Auto Scaling takes 0 ≤ min ≤ desired ≤ max; a mixed instances policy takes up to 40
 * instance types; target tracking on request count needs an ALB target group.
 */
function checkFleetProps(props: FleetProps): void {
  checkLabel('label', props.label);

  if ((props.instanceType === undefined) === (props.mixedInstances === undefined)) {
    fail(
      `instanceType is ${props.instanceType ?? 'unset'} and mixedInstances is ` +
        `${props.mixedInstances ? 'set' : 'unset'}; set exactly one of them`,
    );
  }
  if (props.mixedInstances) {
    const types = props.mixedInstances.instanceTypes;
    if (types.length < 1 || types.length > 40) {
      fail(`mixedInstances.instanceTypes holds ${types.length}; it holds 1 to 40 instance types`);
    }
    checkInteger(
      'mixedInstances.onDemandBaseCapacity',
      props.mixedInstances.onDemandBaseCapacity,
      0,
      10_000,
    );
    checkInteger(
      'mixedInstances.onDemandPercentageAboveBaseCapacity',
      props.mixedInstances.onDemandPercentageAboveBaseCapacity,
      0,
      100,
      'a percentage',
    );
  }

  checkCapacities(props);

  if (props.targetRequestsPerMinutePerTarget !== undefined) {
    if (props.loadBalancerKind !== LoadBalancerKind.APPLICATION) {
      fail(
        `targetRequestsPerMinutePerTarget is ${props.targetRequestsPerMinutePerTarget}; ` +
          `request count scaling needs an application load balancer (use targetCpuUtilizationPercent)`,
      );
    }
    checkInteger(
      'targetRequestsPerMinutePerTarget',
      props.targetRequestsPerMinutePerTarget,
      1,
      1e9,
    );
  }
  checkInteger(
    'targetCpuUtilizationPercent',
    props.targetCpuUtilizationPercent,
    1,
    100,
    'a percentage',
  );
}

function checkCapacities(props: FleetProps): void {
  const min = props.minCapacity ?? 1;
  const max = props.maxCapacity ?? Math.max(min, 2);
  checkInteger('minCapacity', props.minCapacity, 0, 10_000);
  checkInteger('maxCapacity', props.maxCapacity, 1, 10_000);
  checkInteger('desiredCapacity', props.desiredCapacity, 0, 10_000);

  const known = (value: number | undefined) => value !== undefined && !Token.isUnresolved(value);
  if (known(min) && known(max) && min > max) {
    fail(`minCapacity is ${min}; it must not exceed maxCapacity (${max})`);
  }
  const desired = props.desiredCapacity;
  if (known(desired) && ((known(min) && desired! < min) || (known(max) && desired! > max))) {
    fail(
      `desiredCapacity is ${desired}; it must be from minCapacity (${min}) to maxCapacity (${max})`,
    );
  }
}
