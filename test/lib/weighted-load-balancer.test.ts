import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { steeredActionSchema } from '../../lambda/contract';
import {
  ExistingTargetsFleet,
  Fleet,
  LoadBalancerKind,
  WeightedLoadBalancer,
  WeightedLoadBalancerProps,
} from '../../lib';
import { toSteeredAction } from '../../lib/steered-action';
import { onlyResource, projectApp, stackWithVpc } from './app-helpers';

const CERTIFICATE_ARN =
  'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

function fleet(
  stack: Stack,
  vpc: ec2.IVpc,
  id: string,
  kind: LoadBalancerKind,
  protocol?: elbv2.Protocol,
) {
  return new Fleet(stack, id, {
    vpc,
    loadBalancerKind: kind,
    label: id.toLowerCase(),
    instanceType: new ec2.InstanceType('t3.micro'),
    targetProtocol: protocol,
  });
}

function albService(extra: Partial<WeightedLoadBalancerProps> = {}) {
  const { stack, vpc } = stackWithVpc();
  const blue = fleet(stack, vpc, 'Blue', LoadBalancerKind.APPLICATION);
  const green = fleet(stack, vpc, 'Green', LoadBalancerKind.APPLICATION);
  const service = new WeightedLoadBalancer(stack, 'Web', {
    loadBalancerKind: LoadBalancerKind.APPLICATION,
    vpc,
    fleets: [
      { fleet: blue, weight: 70 },
      { fleet: green, weight: 30 },
    ],
    ...extra,
  });
  return { stack, vpc, blue, green, service };
}

function nlbService(
  extra: Partial<WeightedLoadBalancerProps> = {},
  targetProtocol?: elbv2.Protocol,
) {
  const { stack, vpc } = stackWithVpc();
  const blue = fleet(stack, vpc, 'Blue', LoadBalancerKind.NETWORK, targetProtocol);
  const green = fleet(stack, vpc, 'Green', LoadBalancerKind.NETWORK, targetProtocol);
  const service = new WeightedLoadBalancer(stack, 'Tcp', {
    loadBalancerKind: LoadBalancerKind.NETWORK,
    vpc,
    fleets: [
      { fleet: blue, weight: 900 },
      { fleet: green, weight: 100 },
    ],
    ...extra,
  });
  return { stack, vpc, blue, green, service };
}

function forwardConfigOf(template: Template, idPrefix: string) {
  const listener = onlyResource(template, 'AWS::ElasticLoadBalancingV2::Listener', idPrefix);
  return listener.props.DefaultActions[0].ForwardConfig;
}

describe('WeightedLoadBalancer on an Application Load Balancer', () => {
  it('forwards the listener default action to each fleet with its weight', () => {
    const { stack, blue, green } = albService();
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: stack.resolve(blue.targetGroupArn), Weight: 70 },
              { TargetGroupArn: stack.resolve(green.targetGroupArn), Weight: 30 },
            ],
          },
        },
      ],
    });
  });

  it('adds a path rule whose forward action has its own weights', () => {
    const { stack, blue, green, service } = albService();
    service.addWeightedRule('Api', {
      priority: 10,
      pathPatterns: ['/api/*'],
      hostHeaders: ['api.example.com'],
      fleets: [
        { fleet: blue, weight: 10 },
        { fleet: green, weight: 990 },
      ],
    });

    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 10,
      Conditions: [
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } },
        { Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com'] } },
      ],
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: stack.resolve(blue.targetGroupArn), Weight: 10 },
              { TargetGroupArn: stack.resolve(green.targetGroupArn), Weight: 990 },
            ],
          },
        },
      ],
    });
  });

  it('drops invalid header fields and leaves deletion protection off by default', () => {
    const { stack } = albService();

    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'application',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'false' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
      ]),
    });
  });

  it('turns deletion protection on when asked', () => {
    const { stack } = albService({ deletionProtection: true });

    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
      ]),
    });
  });

  it('logs access to a bucket with S3-managed encryption that refuses plain HTTP', () => {
    const { stack, service } = albService();
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: stack.resolve(service.accessLogsBucket.bucketName) },
      ]),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets fleets admit traffic from the load balancer security group and nothing else', () => {
    const { stack, service, blue } = albService();
    const template = Template.fromStack(stack);
    const lbGroup = stack.resolve(service.connections.securityGroups[0].securityGroupId);
    const blueGroup = stack.resolve(blue.connections.securityGroups[0].securityGroupId);

    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (rule: any) => JSON.stringify(rule.Properties.GroupId) === JSON.stringify(blueGroup),
    );
    expect(ingress.map((rule: any) => rule.Properties)).toEqual([
      expect.objectContaining({
        SourceSecurityGroupId: lbGroup,
        FromPort: 80,
        ToPort: 80,
        IpProtocol: 'tcp',
      }),
    ]);
    const blueGroupResource = onlyResource(
      template,
      'AWS::EC2::SecurityGroup',
      'BlueSecurityGroup',
    );
    expect(blueGroupResource.props.SecurityGroupIngress).toBeUndefined();
  });

  it('listens on HTTPS with the certificate and redirects port 80 to it', () => {
    const { stack } = albService({
      protocol: elbv2.Protocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(CERTIFICATE_ARN)],
    });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [
        {
          Type: 'redirect',
          RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' },
        },
      ],
    });
  });

  it('admits any IPv4 client to an internet-facing ALB on the listener and redirect ports', () => {
    const { stack, service } = albService({
      protocol: elbv2.Protocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(CERTIFICATE_ARN)],
    });
    const group = Template.fromStack(stack).findResources('AWS::EC2::SecurityGroup');
    const lbGroupId = stack.resolve(service.connections.securityGroups[0].securityGroupId)[
      'Fn::GetAtt'
    ][0];

    expect(
      group[lbGroupId].Properties.SecurityGroupIngress.map(
        (rule: any) => `${rule.CidrIp} ${rule.IpProtocol} ${rule.FromPort}`,
      ),
    ).toEqual(['0.0.0.0/0 tcp 443', '0.0.0.0/0 tcp 80']);
  });

  it('admits only the VPC CIDR to an internal ALB', () => {
    const { stack, vpc, service } = albService({ internetFacing: false });
    const group = Template.fromStack(stack).findResources('AWS::EC2::SecurityGroup');
    const lbGroupId = stack.resolve(service.connections.securityGroups[0].securityGroupId)[
      'Fn::GetAtt'
    ][0];

    expect(group[lbGroupId].Properties.SecurityGroupIngress).toEqual([
      expect.objectContaining({
        CidrIp: stack.resolve(vpc.vpcCidrBlock),
        FromPort: 80,
        ToPort: 80,
      }),
    ]);
  });

  it('gives ALB group stickiness its duration in seconds', () => {
    const { stack } = albService({ groupStickinessDuration: Duration.hours(1) });

    expect(
      forwardConfigOf(Template.fromStack(stack), 'WebLoadBalancerListener')
        .TargetGroupStickinessConfig,
    ).toEqual({
      Enabled: true,
      DurationSeconds: 3600,
    });
  });

  it('creates a VPC with flow logs when none is passed', () => {
    const stack = new Stack(projectApp(), 'Standalone', { env: { region: 'eu-west-1' } });
    const service = new WeightedLoadBalancer(stack, 'Web', {
      loadBalancerKind: LoadBalancerKind.APPLICATION,
    });
    const existing = new ExistingTargetsFleet(stack, 'Legacy', {
      vpc: service.vpc,
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      label: 'legacy',
      ipAddresses: ['10.0.1.10'],
    });
    service.forwardTo([{ fleet: existing, weight: 1 }]);
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceId: stack.resolve(service.vpc.vpcId),
      TrafficType: 'ALL',
    });
  });

  it('refuses to synthesize a listener that has no default action', () => {
    const { stack, vpc } = stackWithVpc();
    new WeightedLoadBalancer(stack, 'Web', { loadBalancerKind: LoadBalancerKind.APPLICATION, vpc });

    expect(() => Template.fromStack(stack)).toThrow(/the listener has no default action/);
  });
});

describe('WeightedLoadBalancer on a Network Load Balancer', () => {
  it('forwards the listener default action to each fleet with its weight', () => {
    const { stack, blue, green } = nlbService();

    expect(forwardConfigOf(Template.fromStack(stack), 'TcpLoadBalancerListener')).toEqual({
      TargetGroups: [
        { TargetGroupArn: stack.resolve(blue.targetGroupArn), Weight: 900 },
        { TargetGroupArn: stack.resolve(green.targetGroupArn), Weight: 100 },
      ],
    });
  });

  it('emits NLB group stickiness as Enabled alone, without a duration', () => {
    const { stack } = nlbService({ groupStickiness: true });

    expect(
      forwardConfigOf(Template.fromStack(stack), 'TcpLoadBalancerListener')
        .TargetGroupStickinessConfig,
    ).toEqual({
      Enabled: true,
    });
  });

  // Guards the property override: when aws-cdk-lib stops emitting a duration, drop the override.
  it('needs the override because aws-cdk-lib renders NLB group stickiness with a duration', () => {
    const { stack, vpc } = stackWithVpc();
    const nlb = new elbv2.NetworkLoadBalancer(stack, 'Plain', { vpc });
    const group = new elbv2.NetworkTargetGroup(stack, 'Group', {
      vpc,
      port: 80,
      protocol: elbv2.Protocol.TCP,
      targetType: elbv2.TargetType.INSTANCE,
    });
    nlb.addListener('Listener', {
      port: 80,
      defaultAction: elbv2.NetworkListenerAction.weightedForward(
        [{ targetGroup: group, weight: 1 }],
        {
          stickinessDuration: Duration.hours(1),
        },
      ),
    });

    expect(
      forwardConfigOf(Template.fromStack(stack), 'PlainListener').TargetGroupStickinessConfig,
    ).toEqual({
      Enabled: true,
      DurationSeconds: 3600,
    });
  });

  it('gives the load balancer its own security group that admits clients on the listener port', () => {
    const { stack, service } = nlbService();
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      SecurityGroups: [stack.resolve(service.connections.securityGroups[0].securityGroupId)],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Network Load Balancer Tcp'),
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80, IpProtocol: 'tcp' }),
      ],
    });
  });

  it('opens UDP, not TCP, from the load balancer to fleets behind a UDP listener', () => {
    const { stack, blue, service } = nlbService(
      { protocol: elbv2.Protocol.UDP },
      elbv2.Protocol.UDP,
    );
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: stack.resolve(blue.connections.securityGroups[0].securityGroupId),
      SourceSecurityGroupId: stack.resolve(service.connections.securityGroups[0].securityGroupId),
      IpProtocol: 'udp',
      FromPort: 80,
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'UDP' });
  });

  it('admits only the VPC CIDR to an internal load balancer', () => {
    const { stack, vpc } = nlbService({ internetFacing: false });

    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Network Load Balancer Tcp'),
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: stack.resolve(vpc.vpcCidrBlock), FromPort: 80 }),
      ],
    });
  });

  it('terminates TLS with the certificate', () => {
    const { stack } = nlbService({
      protocol: elbv2.Protocol.TLS,
      certificates: [elbv2.ListenerCertificate.fromArn(CERTIFICATE_ARN)],
    });

    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'TLS',
      Port: 443,
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
    });
  });
});

describe('steeredActions', () => {
  it('names the default action and each rule with their ARNs, weights and metric dimensions', () => {
    const { stack, blue, green, service } = albService();
    const rule = service.addWeightedRule('Api', {
      priority: 5,
      pathPatterns: ['/api/*'],
      fleets: [{ fleet: green, weight: 1 }],
    });

    const actions = stack.resolve(service.steeredActions());

    expect(actions).toEqual([
      {
        id: 'Web-default',
        loadBalancerKind: 'application',
        listenerArn: stack.resolve(service.listenerArn),
        ruleArn: undefined,
        targetGroups: [
          {
            targetGroupArn: stack.resolve(blue.targetGroupArn),
            label: 'blue',
            loadBalancerDimension: stack.resolve(service.loadBalancerFullName),
            targetGroupDimension: {
              'Fn::GetAtt': [expect.stringMatching(/^BlueTargetGroup/), 'TargetGroupFullName'],
            },
          },
          expect.objectContaining({
            label: 'green',
            targetGroupArn: stack.resolve(green.targetGroupArn),
          }),
        ],
        templateWeights: [70, 30],
      },
      expect.objectContaining({
        id: 'Web-Api',
        ruleArn: stack.resolve(rule.listenerRuleArn),
        templateWeights: [1],
      }),
    ]);
    expect(actions[0].targetGroups[0].loadBalancerDimension).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^WebLoadBalancer/), 'LoadBalancerFullName'],
    });
  });

  it('converts to the controller contract shape, which the contract schema accepts', () => {
    const action = toSteeredAction({
      id: 'web-api',
      loadBalancerKind: LoadBalancerKind.NETWORK,
      listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/web/1/2',
      ruleArn: undefined,
      targetGroups: [
        {
          targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/3',
          label: 'blue',
          loadBalancerDimension: 'net/web/1',
          targetGroupDimension: 'targetgroup/blue/3',
        },
      ],
      templateWeights: [5],
    });

    expect(steeredActionSchema.parse(action)).toEqual({
      id: 'web-api',
      loadBalancerType: 'network',
      listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/web/1/2',
      targetGroups: [
        {
          targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/3',
          label: 'blue',
          dimensions: { LoadBalancer: 'net/web/1', TargetGroup: 'targetgroup/blue/3' },
          customMetrics: [],
        },
      ],
      templateWeights: [5],
    });
  });
});
