/**
 * The example app: an ALB service and an NLB service, each spreading traffic over two fleets by
 * weight. Kept apart from bin/app.ts so tests build the same app without spawning a process.
 */
import { App, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { Fleet, LoadBalancerKind, WeightedLoadBalancer } from '../lib';

/** ALB access logging needs a concrete region; the account may stay unresolved. */
export const EXAMPLE_REGION = 'eu-west-1';

export interface WebServiceStackProps extends StackProps {
  /** An ACM certificate ARN: when set, the listener is HTTPS and port 80 redirects to it. */
  readonly certificateArn?: string;
}

/** An ALB service: on-demand Graviton instances take most traffic, a spot mix takes the rest. */
export class WebServiceStack extends Stack {
  public readonly service: WeightedLoadBalancer;
  public readonly onDemand: Fleet;
  public readonly spot: Fleet;

  constructor(scope: Construct, id: string, props: WebServiceStackProps = {}) {
    super(scope, id, props);
    const certificates = props.certificateArn
      ? [elbv2.ListenerCertificate.fromArn(props.certificateArn)]
      : undefined;

    this.service = new WeightedLoadBalancer(this, 'Web', {
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      protocol: certificates ? elbv2.Protocol.HTTPS : elbv2.Protocol.HTTP,
      certificates,
      // Steers by estimated capacity from load and latency, moving at most 5% a minute.
      controller: { policy: 'adaptive', maxStepUp: 0.05 },
    });
    const vpc = this.service.vpc;
    const healthCheck = {
      path: '/health',
      healthyHttpCodes: '200',
      interval: Duration.seconds(30),
    };

    this.onDemand = new Fleet(this, 'OnDemand', {
      vpc,
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      label: 'on-demand',
      instanceType: new ec2.InstanceType('m7g.large'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({
        cpuType: ec2.AmazonLinuxCpuType.ARM_64,
      }),
      userData: webServerUserData(),
      minCapacity: 2,
      maxCapacity: 10,
      healthCheck,
      targetRequestsPerMinutePerTarget: 6000,
      scheduledActions: [
        {
          id: 'WeekdayMorning',
          schedule: autoscaling.Schedule.cron({ weekDay: 'MON-FRI', hour: '7', minute: '0' }),
          minCapacity: 4,
          timeZone: 'Europe/Dublin',
        },
        {
          id: 'WeekdayEvening',
          schedule: autoscaling.Schedule.cron({ weekDay: 'MON-FRI', hour: '20', minute: '0' }),
          minCapacity: 2,
          timeZone: 'Europe/Dublin',
        },
      ],
    });

    this.spot = new Fleet(this, 'Spot', {
      vpc,
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      label: 'spot',
      mixedInstances: {
        instanceTypes: ['c7i.large', 'c6i.large', 'm6i.large'].map(
          (type) => new ec2.InstanceType(type),
        ),
        onDemandBaseCapacity: 0,
        onDemandPercentageAboveBaseCapacity: 0,
      },
      userData: webServerUserData(),
      minCapacity: 1,
      maxCapacity: 10,
      healthCheck,
      targetCpuUtilizationPercent: 50,
    });

    this.service.forwardTo([
      { fleet: this.onDemand, weight: 80 },
      { fleet: this.spot, weight: 20 },
    ]);
    acknowledgeNoScalingNotifications(this.onDemand, this.spot);
    this.service.addWeightedRule('Api', {
      priority: 10,
      pathPatterns: ['/api/*'],
      fleets: [
        { fleet: this.onDemand, weight: 50 },
        { fleet: this.spot, weight: 50 },
      ],
    });
  }
}

/** An NLB service: two fleets of different instance types behind a TCP listener. */
export class TcpServiceStack extends Stack {
  public readonly service: WeightedLoadBalancer;
  public readonly blue: Fleet;
  public readonly green: Fleet;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.service = new WeightedLoadBalancer(this, 'Tcp', {
      loadBalancerKind: LoadBalancerKind.NETWORK,
      protocol: elbv2.Protocol.TCP,
      port: 80,
      groupStickiness: true,
      // An NLB publishes no per-target-group traffic or latency, so health is the signal here.
      controller: { policy: 'healthy-hosts' },
    });
    const vpc = this.service.vpc;
    const healthCheck = { protocol: elbv2.Protocol.TCP, interval: Duration.seconds(30) };

    this.blue = new Fleet(this, 'Blue', {
      vpc,
      loadBalancerKind: LoadBalancerKind.NETWORK,
      label: 'blue',
      instanceType: new ec2.InstanceType('m7i.large'),
      userData: webServerUserData(),
      minCapacity: 2,
      maxCapacity: 6,
      healthCheck,
      targetCpuUtilizationPercent: 60,
    });
    this.green = new Fleet(this, 'Green', {
      vpc,
      loadBalancerKind: LoadBalancerKind.NETWORK,
      label: 'green',
      instanceType: new ec2.InstanceType('c7i.large'),
      userData: webServerUserData(),
      minCapacity: 1,
      maxCapacity: 6,
      healthCheck,
      targetCpuUtilizationPercent: 60,
    });

    this.service.forwardTo([
      { fleet: this.blue, weight: 90 },
      { fleet: this.green, weight: 10 },
    ]);
    acknowledgeNoScalingNotifications(this.blue, this.green);
  }
}

function webServerUserData(): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    'dnf install -y nginx',
    'echo ok > /usr/share/nginx/html/health',
    'mkdir -p /usr/share/nginx/html/api && echo ok > /usr/share/nginx/html/api/index.html',
    'systemctl enable --now nginx',
  );
  return userData;
}

/** The example names no operator to notify of scaling events; a real service passes a topic. */
function acknowledgeNoScalingNotifications(...fleets: Fleet[]): void {
  for (const fleet of fleets) {
    Validations.of(fleet.autoScalingGroup.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-AS3',
      reason: 'The example has no operator to notify; Fleet takes notificationsTopic for that.',
    });
  }
}

export interface ExampleAppOptions {
  /** An ACM certificate ARN for the web service's HTTPS listener. */
  readonly certificateArn?: string;
}

/** Builds the example app's stacks into `app`. */
export function buildExampleApp(app: App, options: ExampleAppOptions = {}) {
  const env = { region: EXAMPLE_REGION };
  const web = new WebServiceStack(app, 'WeightedWebService', {
    env,
    certificateArn: options.certificateArn,
  });
  const tcp = new TcpServiceStack(app, 'WeightedTcpService', { env });
  return { web, tcp };
}
