import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ExistingTargetsFleet,
  Fleet,
  FleetProps,
  LoadBalancerKind,
  WeightedLoadBalancer,
} from '../../lib';
import { onlyResource, stackWithVpc } from './app-helpers';

/** A fleet behind a load balancer of its kind, as scaling on request count needs one. */
function fleetBehindLoadBalancer(props: Partial<FleetProps> = {}) {
  const { stack, vpc } = stackWithVpc();
  const kind = props.loadBalancerKind ?? LoadBalancerKind.APPLICATION;
  const fleet = new Fleet(stack, 'Fleet', {
    vpc,
    loadBalancerKind: kind,
    label: 'fleet',
    ...(props.mixedInstances ? {} : { instanceType: new ec2.InstanceType('m7g.large') }),
    ...props,
  });
  const service = new WeightedLoadBalancer(stack, 'Web', {
    loadBalancerKind: kind,
    vpc,
    fleets: [{ fleet, weight: 1 }],
  });
  return { stack, fleet, service, template: Template.fromStack(stack) };
}

describe('Fleet', () => {
  it('launches instances that require IMDSv2 and boot from an encrypted gp3 volume', () => {
    const { template } = fleetBehindLoadBalancer();

    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'm7g.large',
        MetadataOptions: { HttpTokens: 'required' },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { Encrypted: true, VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true },
          },
        ],
      }),
    });
  });

  it('registers in its target group with ELB health checks after a grace period', () => {
    const { stack, fleet, template } = fleetBehindLoadBalancer({
      minCapacity: 2,
      maxCapacity: 8,
      desiredCapacity: 3,
    });

    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '2',
      MaxSize: '8',
      DesiredCapacity: '3',
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: 300,
      TargetGroupARNs: [stack.resolve(fleet.targetGroupArn)],
    });
  });

  it('spreads capacity over on-demand and spot instance types', () => {
    const { template } = fleetBehindLoadBalancer({
      mixedInstances: {
        instanceTypes: [new ec2.InstanceType('c7i.large'), new ec2.InstanceType('m6i.large')],
        onDemandBaseCapacity: 1,
        onDemandPercentageAboveBaseCapacity: 25,
      },
    });

    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MixedInstancesPolicy: {
        InstancesDistribution: {
          OnDemandBaseCapacity: 1,
          OnDemandPercentageAboveBaseCapacity: 25,
          SpotAllocationStrategy: 'price-capacity-optimized',
        },
        LaunchTemplate: Match.objectLike({
          Overrides: [{ InstanceType: 'c7i.large' }, { InstanceType: 'm6i.large' }],
        }),
      },
    });
  });

  it('tracks requests per minute per target through ALBRequestCountPerTarget', () => {
    const { stack, fleet, template } = fleetBehindLoadBalancer({
      targetRequestsPerMinutePerTarget: 6000,
    });
    const policy = onlyResource(template, 'AWS::AutoScaling::ScalingPolicy');
    const spec = policy.props.TargetTrackingConfiguration;

    expect(spec.TargetValue).toBe(6000);
    expect(spec.PredefinedMetricSpecification.PredefinedMetricType).toBe(
      'ALBRequestCountPerTarget',
    );
    // The label is app/NAME/ID/targetgroup/NAME/ID: the load balancer's part, then the group's.
    const label = spec.PredefinedMetricSpecification.ResourceLabel['Fn::Join'][1];
    expect(label.at(-1)).toEqual(stack.resolve(fleet.targetGroupFullName));
    expect(JSON.stringify(label)).toContain('WebLoadBalancerListener');
  });

  it('tracks average CPU utilization', () => {
    const { template } = fleetBehindLoadBalancer({ targetCpuUtilizationPercent: 55 });

    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      TargetTrackingConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
        TargetValue: 55,
      },
    });
  });

  it('adds each scheduled action with its time zone and capacities', () => {
    const { template } = fleetBehindLoadBalancer({
      scheduledActions: [
        {
          id: 'Morning',
          schedule: autoscaling.Schedule.cron({ hour: '7', minute: '0' }),
          minCapacity: 4,
          timeZone: 'Europe/Dublin',
        },
        {
          id: 'Night',
          schedule: autoscaling.Schedule.cron({ hour: '22', minute: '0' }),
          minCapacity: 1,
        },
      ],
    });

    template.resourceCountIs('AWS::AutoScaling::ScheduledAction', 2);
    template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', {
      Recurrence: '0 7 * * *',
      MinSize: 4,
      TimeZone: 'Europe/Dublin',
    });
  });

  it('notifies a topic of every launch and termination when given one', () => {
    const { stack, vpc } = stackWithVpc();
    const topic = new sns.Topic(stack, 'Topic');
    const fleet = new Fleet(stack, 'Fleet', {
      vpc,
      loadBalancerKind: LoadBalancerKind.NETWORK,
      label: 'fleet',
      instanceType: new ec2.InstanceType('t3.small'),
      notificationsTopic: topic,
      healthCheckGracePeriod: Duration.minutes(2),
    });
    new WeightedLoadBalancer(stack, 'Tcp', {
      loadBalancerKind: LoadBalancerKind.NETWORK,
      vpc,
      fleets: [{ fleet, weight: 1 }],
    });

    Template.fromStack(stack).hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      HealthCheckGracePeriod: 120,
      NotificationConfigurations: [
        {
          TopicARN: stack.resolve(topic.topicArn),
          NotificationTypes: [
            'autoscaling:EC2_INSTANCE_LAUNCH',
            'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
            'autoscaling:EC2_INSTANCE_TERMINATE',
            'autoscaling:EC2_INSTANCE_TERMINATE_ERROR',
          ],
        },
      ],
    });
  });

  it('runs its instances with the role it is given, and with none otherwise', () => {
    const withoutRole = fleetBehindLoadBalancer().template;
    const { stack, vpc } = stackWithVpc();
    const role = new iam.Role(stack, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    });
    const fleet = new Fleet(stack, 'Fleet', {
      vpc,
      loadBalancerKind: LoadBalancerKind.NETWORK,
      label: 'fleet',
      instanceType: new ec2.InstanceType('t3.small'),
      role,
    });
    new WeightedLoadBalancer(stack, 'Tcp', {
      loadBalancerKind: LoadBalancerKind.NETWORK,
      vpc,
      fleets: [{ fleet, weight: 1 }],
    });

    withoutRole.resourceCountIs('AWS::IAM::InstanceProfile', 0);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::InstanceProfile', {
      Roles: [stack.resolve(role.roleName)],
    });
  });

  it('makes a TCP target group on port 80 behind an NLB by default', () => {
    const { template } = fleetBehindLoadBalancer({ loadBalancerKind: LoadBalancerKind.NETWORK });

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Protocol: 'TCP',
      Port: 80,
      TargetType: 'instance',
    });
  });

  it('passes health check settings to its target group', () => {
    const { template } = fleetBehindLoadBalancer({
      healthCheck: {
        path: '/health',
        healthyHttpCodes: '200-299',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 3,
      },
      targetGroupName: 'web-blue',
    });

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Name: 'web-blue',
      Protocol: 'HTTP',
      HealthCheckPath: '/health',
      Matcher: { HttpCode: '200-299' },
      HealthCheckIntervalSeconds: 15,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 3,
    });
  });
});

describe('wrapping targets that already exist', () => {
  it('registers IP addresses in a new IP target group', () => {
    const { stack, vpc } = stackWithVpc();
    const legacy = new ExistingTargetsFleet(stack, 'Legacy', {
      vpc,
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      label: 'legacy',
      ipAddresses: ['10.0.1.10', '10.0.2.10'],
      targetPort: 8080,
    });
    new WeightedLoadBalancer(stack, 'Web', {
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      vpc,
      fleets: [{ fleet: legacy, weight: 1 }],
    });

    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      Port: 8080,
      Targets: [
        { Id: '10.0.1.10', Port: 8080 },
        { Id: '10.0.2.10', Port: 8080 },
      ],
    });
  });

  it('registers instance IDs and opens their security groups to the load balancer', () => {
    const { stack, vpc } = stackWithVpc();
    const group = new ec2.SecurityGroup(stack, 'LegacyGroup', { vpc });
    const legacy = new ExistingTargetsFleet(stack, 'Legacy', {
      vpc,
      loadBalancerKind: LoadBalancerKind.NETWORK,
      label: 'legacy',
      instanceIds: ['i-0123456789abcdef0'],
      securityGroups: [group],
    });
    const service = new WeightedLoadBalancer(stack, 'Tcp', {
      loadBalancerKind: LoadBalancerKind.NETWORK,
      vpc,
      fleets: [{ fleet: legacy, weight: 1 }],
    });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'instance',
      Targets: [{ Id: 'i-0123456789abcdef0', Port: 80 }],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: stack.resolve(group.securityGroupId),
      SourceSecurityGroupId: stack.resolve(service.connections.securityGroups[0].securityGroupId),
      FromPort: 80,
    });
  });

  it('forwards to an imported target group and reads its CloudWatch dimension from the ARN', () => {
    const { stack, vpc } = stackWithVpc();
    const arn =
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/legacy-web/0123456789abcdef';
    const legacy = Fleet.fromTargetGroupArn(stack, 'Legacy', {
      targetGroupArn: arn,
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      label: 'legacy',
    });
    const service = new WeightedLoadBalancer(stack, 'Web', {
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      vpc,
      fleets: [{ fleet: legacy, weight: 1 }],
    });

    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      DefaultActions: [
        { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn, Weight: 1 }] } },
      ],
    });
    expect(stack.resolve(service.steeredActions()[0].targetGroups[0].targetGroupDimension)).toBe(
      'targetgroup/legacy-web/0123456789abcdef',
    );
  });
});
