import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import {
  Fleet,
  FleetProps,
  LoadBalancerKind,
  WeightedFleet,
  WeightedLoadBalancer,
  WeightedLoadBalancerProps,
} from '../../lib';
import { stackWithVpc } from './app-helpers';

const ALB = LoadBalancerKind.APPLICATION;
const NLB = LoadBalancerKind.NETWORK;
const CERTIFICATE = elbv2.ListenerCertificate.fromArn(
  'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
);

interface Scene {
  readonly stack: Stack;
  readonly vpc: ec2.IVpc;
  fleet(kind: LoadBalancerKind, extra?: Partial<FleetProps>): Fleet;
  service(
    kind: LoadBalancerKind,
    fleets: WeightedFleet[],
    extra?: Partial<WeightedLoadBalancerProps>,
  ): WeightedLoadBalancer;
}

function scene(): Scene {
  const { stack, vpc } = stackWithVpc();
  let count = 0;
  return {
    stack,
    vpc,
    fleet: (kind, extra = {}) => {
      count += 1;
      return new Fleet(stack, `Fleet${count}`, {
        vpc,
        loadBalancerKind: kind,
        label: `fleet-${count}`,
        instanceType: new ec2.InstanceType('t3.micro'),
        ...extra,
      });
    },
    service: (kind, fleets, extra = {}) =>
      new WeightedLoadBalancer(stack, 'Service', { loadBalancerKind: kind, vpc, fleets, ...extra }),
  };
}

/** Builds a service with one fleet whose health check (and target protocol) is given. */
function healthCheck(
  kind: LoadBalancerKind,
  check: elbv2.HealthCheck,
  targetProtocol?: elbv2.Protocol,
) {
  return (s: Scene) => s.fleet(kind, { healthCheck: check, targetProtocol });
}

function weights(kind: LoadBalancerKind, values: number[]) {
  return (s: Scene) =>
    s.service(
      kind,
      values.map((weight) => ({ fleet: s.fleet(kind), weight })),
    );
}

function fleets(count: number) {
  return weights(
    ALB,
    Array.from({ length: count }, () => 1),
  );
}

function targetGroupName(name: string) {
  return (s: Scene) => {
    s.service(ALB, [{ fleet: s.fleet(ALB, { targetGroupName: name }), weight: 1 }]);
    Template.fromStack(s.stack);
  };
}

const cases: Array<[string, (s: Scene) => unknown, string]> = [
  // ALB health checks
  [
    'an ALB health check interval under 5 seconds',
    healthCheck(ALB, { interval: Duration.seconds(3) }),
    'healthCheck.interval is 3 seconds; it must be a whole number of seconds from 5 to 300',
  ],
  [
    'an ALB health check timeout over 120 seconds',
    healthCheck(ALB, { timeout: Duration.seconds(130), interval: Duration.seconds(300) }),
    'healthCheck.timeout is 130 seconds; it must be a whole number of seconds from 2 to 120',
  ],
  [
    'an ALB health check timeout equal to its interval',
    healthCheck(ALB, { timeout: Duration.seconds(10), interval: Duration.seconds(10) }),
    'healthCheck.timeout is 10 seconds; on an ALB it must be less than healthCheck.interval (10 seconds)',
  ],
  [
    'an ALB healthy threshold of 11',
    healthCheck(ALB, { healthyThresholdCount: 11 }),
    'healthCheck.healthyThresholdCount is 11; it must be an integer from 2 to 10',
  ],
  [
    'an ALB unhealthy threshold of 1',
    healthCheck(ALB, { unhealthyThresholdCount: 1 }),
    'healthCheck.unhealthyThresholdCount is 1; it must be an integer from 2 to 10',
  ],
  [
    'an ALB TCP health check',
    healthCheck(ALB, { protocol: elbv2.Protocol.TCP }),
    'healthCheck.protocol is TCP; an ALB health check uses HTTP, HTTPS',
  ],
  [
    'an ALB health check path without a leading slash',
    healthCheck(ALB, { path: 'health' }),
    'healthCheck.path is "health"; a path starts with "/" and has at most 1024 characters',
  ],
  [
    'an ALB matcher with 5xx codes',
    healthCheck(ALB, { healthyHttpCodes: '200-599' }),
    'healthCheck.healthyHttpCodes is "200-599"; on an ALB it lists codes or ranges from 200 to 499, e.g. "200,202" or "200-299"',
  ],
  [
    'an ALB matcher that is not a code list',
    healthCheck(ALB, { healthyHttpCodes: 'ok' }),
    'healthCheck.healthyHttpCodes is "ok"; on an ALB it lists codes or ranges from 200 to 499',
  ],
  [
    'gRPC codes on an HTTP target group',
    healthCheck(ALB, { healthyGrpcCodes: '0' }),
    'healthCheck.healthyGrpcCodes is "0"; these constructs make HTTP target groups: use healthyHttpCodes',
  ],
  [
    'a health check port of 0',
    healthCheck(ALB, { port: '0' }),
    'healthCheck.port is "0"; it must be "traffic-port" or a port from 1 to 65535',
  ],

  // NLB health checks
  [
    'an NLB health check interval over 300 seconds',
    healthCheck(NLB, { interval: Duration.seconds(301) }),
    'healthCheck.interval is 301 seconds; it must be a whole number of seconds from 5 to 300',
  ],
  [
    'an NLB health check timeout longer than its interval',
    healthCheck(NLB, { timeout: Duration.seconds(20), interval: Duration.seconds(10) }),
    'healthCheck.timeout is 20 seconds; on an NLB it must be at most healthCheck.interval (10 seconds)',
  ],
  [
    'an NLB UDP health check',
    healthCheck(NLB, { protocol: elbv2.Protocol.UDP }),
    'healthCheck.protocol is UDP; an NLB health check uses TCP, HTTP, HTTPS',
  ],
  [
    'a path on an NLB TCP health check',
    healthCheck(NLB, { path: '/health' }),
    'healthCheck.path is "/health"; a TCP health check has no path (use HTTP or HTTPS)',
  ],
  [
    'HTTP codes on an NLB TCP health check',
    healthCheck(NLB, { healthyHttpCodes: '200' }),
    'healthCheck.healthyHttpCodes is "200"; a TCP health check has no HTTP codes (use HTTP or HTTPS)',
  ],
  [
    'an NLB HTTP matcher below 200',
    healthCheck(NLB, { protocol: elbv2.Protocol.HTTP, healthyHttpCodes: '100-299' }),
    'healthCheck.healthyHttpCodes is "100-299"; on an NLB it lists codes or ranges from 200 to 599',
  ],
  [
    'an NLB healthy threshold of 1',
    healthCheck(NLB, { healthyThresholdCount: 1 }),
    'healthCheck.healthyThresholdCount is 1; it must be an integer from 2 to 10',
  ],

  // Weights
  [
    'a weight of 1200',
    weights(ALB, [1, 1200]),
    'fleets[1].weight is 1200; a weight must be an integer from 0 to 999',
  ],
  [
    'a fractional weight',
    weights(NLB, [1.5, 1]),
    'fleets[0].weight is 1.5; a weight must be an integer from 0 to 999',
  ],
  [
    'a negative weight',
    weights(ALB, [-1, 1]),
    'fleets[0].weight is -1; a weight must be an integer from 0 to 999',
  ],
  [
    'weights that are all zero',
    weights(NLB, [0, 0]),
    'fleets weights are all 0; at least one weight must be above 0',
  ],

  // Target group counts
  [
    'a forward action with no fleets',
    fleets(0),
    'fleets holds 0 fleets; a forward action holds 1 to 5 target groups',
  ],
  [
    'a sixth target group',
    fleets(6),
    'fleets holds 6 fleets; a forward action holds 1 to 5 target groups',
  ],
  [
    'the same fleet twice in one action',
    (s) => {
      const fleet = s.fleet(ALB);
      s.service(ALB, [
        { fleet, weight: 1 },
        { fleet, weight: 2 },
      ]);
    },
    'fleets[1] repeats the fleet of fleets[0]',
  ],
  [
    'two fleets with the same label in one action',
    (s) => {
      s.service(ALB, [
        { fleet: s.fleet(ALB, { label: 'blue' }), weight: 1 },
        { fleet: s.fleet(ALB, { label: 'blue' }), weight: 1 },
      ]);
    },
    'fleets[1] repeats the label of fleets[0] ("blue"); each label appears once per forward action',
  ],

  // Names (target group names are left to aws-cdk-lib, which checks them correctly at synth)
  [
    'a target group name of 33 characters',
    targetGroupName('a'.repeat(33)),
    `Target group name: "${'a'.repeat(33)}" can have a maximum of 32 characters.`,
  ],
  [
    'a target group name that starts with a hyphen',
    targetGroupName('-web'),
    'Target group name: "-web" must not begin or end with a hyphen.',
  ],
  [
    'a target group name with an underscore',
    targetGroupName('web_blue'),
    'Target group name: "web_blue" must contain only alphanumeric characters or hyphens.',
  ],
  [
    'a fleet label with a space',
    (s) => s.fleet(ALB, { label: 'on demand' }),
    'label is "on demand"; a label is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  ],

  // Stickiness
  [
    'a duration on NLB group stickiness',
    (s) =>
      s.service(NLB, [{ fleet: s.fleet(NLB), weight: 1 }], {
        groupStickinessDuration: Duration.hours(1),
      }),
    'groupStickinessDuration is 3600 seconds; NLB group stickiness has no duration: set groupStickiness to true instead',
  ],
  [
    'ALB group stickiness longer than 7 days',
    (s) =>
      s.service(ALB, [{ fleet: s.fleet(ALB), weight: 1 }], {
        groupStickinessDuration: Duration.days(8),
      }),
    'groupStickinessDuration is 691200 seconds; it must be a whole number of seconds from 1 to 604800',
  ],
  [
    'ALB group stickiness without a duration',
    (s) => s.service(ALB, [{ fleet: s.fleet(ALB), weight: 1 }], { groupStickiness: true }),
    'groupStickiness is true without groupStickinessDuration; ALB group stickiness needs a duration from 1 second to 7 days',
  ],
  [
    'ALB rule group stickiness of 0 seconds',
    (s) => {
      const fleet = s.fleet(ALB);
      s.service(ALB, [{ fleet, weight: 1 }]).addWeightedRule('Api', {
        priority: 1,
        pathPatterns: ['/api/*'],
        fleets: [{ fleet, weight: 1 }],
        groupStickinessDuration: Duration.seconds(0),
      });
    },
    'rules.Api.groupStickinessDuration is 0 seconds; it must be a whole number of seconds from 1 to 604800',
  ],

  [
    'target stickiness on an NLB fleet',
    (s) => s.fleet(NLB, { targetStickinessDuration: Duration.minutes(5) }),
    'targetStickinessDuration is 300 seconds; cookie stickiness needs an application load balancer',
  ],
  [
    'target stickiness longer than 7 days',
    (s) => s.fleet(ALB, { targetStickinessDuration: Duration.days(8) }),
    'targetStickinessDuration is 691200 seconds; it must be a whole number of seconds from 1 to 604800',
  ],
  [
    'target stickiness among several target groups without group stickiness',
    (s) =>
      s.service(ALB, [
        { fleet: s.fleet(ALB), weight: 1 },
        { fleet: s.fleet(ALB, { targetStickinessDuration: Duration.minutes(5) }), weight: 1 },
      ]),
    'fleets[1].fleet "fleet-2" has targetStickinessDuration; with several target groups in one forward action, target stickiness needs group stickiness: set groupStickinessDuration',
  ],

  // Protocols and load balancer kinds
  [
    'a TCP listener on an ALB',
    (s) => s.service(ALB, [{ fleet: s.fleet(ALB), weight: 1 }], { protocol: elbv2.Protocol.TCP }),
    'protocol is TCP; an application load balancer listens on HTTP, HTTPS',
  ],
  [
    'an HTTP listener on an NLB',
    (s) => s.service(NLB, [{ fleet: s.fleet(NLB), weight: 1 }], { protocol: elbv2.Protocol.HTTP }),
    'protocol is HTTP; a network load balancer listens on TCP, TLS, UDP, TCP_UDP',
  ],
  [
    'an HTTPS listener without a certificate',
    (s) => s.service(ALB, [{ fleet: s.fleet(ALB), weight: 1 }], { protocol: elbv2.Protocol.HTTPS }),
    'certificates is empty; an HTTPS listener needs at least one certificate',
  ],
  [
    'a certificate on a TCP listener',
    (s) => s.service(NLB, [{ fleet: s.fleet(NLB), weight: 1 }], { certificates: [CERTIFICATE] }),
    'certificates holds 1; a TCP listener takes no certificate (use TLS)',
  ],
  [
    'an NLB fleet behind an ALB',
    (s) => s.service(ALB, [{ fleet: s.fleet(NLB), weight: 1 }]),
    'fleets[0].fleet "fleet-1" is for a network load balancer; this listener is on an application load balancer',
  ],
  [
    'a TCP fleet behind a UDP listener',
    (s) => s.service(NLB, [{ fleet: s.fleet(NLB), weight: 1 }], { protocol: elbv2.Protocol.UDP }),
    'fleets[0].fleet.targetProtocol is TCP; a UDP listener forwards to UDP or TCP_UDP target groups',
  ],
  [
    'a TCP target group behind an ALB',
    (s) => s.fleet(ALB, { targetProtocol: elbv2.Protocol.TCP }),
    'targetProtocol is TCP; a target group behind an application load balancer uses HTTP, HTTPS',
  ],
  [
    'a redirect to HTTPS from an HTTP listener',
    (s) => s.service(ALB, [{ fleet: s.fleet(ALB), weight: 1 }], { redirectHttpToHttps: true }),
    'redirectHttpToHttps is true on an HTTP listener; it needs an HTTPS ALB listener',
  ],
  [
    'a path rule on an NLB',
    (s) => {
      const fleet = s.fleet(NLB);
      s.service(NLB, [{ fleet, weight: 1 }]).addWeightedRule('Api', {
        priority: 1,
        pathPatterns: ['/api/*'],
        fleets: [{ fleet, weight: 1 }],
      });
    },
    'rules.Api is a listener rule; path and host rules need an application load balancer',
  ],

  [
    'a fleet behind a second load balancer',
    (s) => {
      const fleet = s.fleet(ALB);
      s.service(ALB, [{ fleet, weight: 1 }]);
      new WeightedLoadBalancer(s.stack, 'Other', {
        loadBalancerKind: ALB,
        vpc: s.vpc,
        fleets: [{ fleet, weight: 1 }],
      });
    },
    'fleets[0].fleet "fleet-1" is behind TestStack/Service already; a target group serves one load balancer',
  ],

  // Action ids and default actions
  [
    'an action id prefix with a space',
    (s) => s.service(ALB, [{ fleet: s.fleet(ALB), weight: 1 }], { actionIdPrefix: 'web shop' }),
    'actionIdPrefix is "web shop" (from the construct id when unset); action ids hold letters, digits, ".", "_" and "-" (at most 64)',
  ],
  [
    'a second default action',
    (s) => {
      const fleet = s.fleet(ALB);
      s.service(ALB, [{ fleet, weight: 1 }]).forwardTo([{ fleet, weight: 2 }]);
    },
    'forwardTo() was called twice; the listener has one default action',
  ],

  // Rules
  [
    'a rule priority of 0',
    (s) => {
      const fleet = s.fleet(ALB);
      s.service(ALB, [{ fleet, weight: 1 }]).addWeightedRule('Api', {
        priority: 0,
        pathPatterns: ['/api/*'],
        fleets: [{ fleet, weight: 1 }],
      });
    },
    'rules.Api.priority is 0; a rule priority must be an integer from 1 to 50000',
  ],
  [
    'two rules with the same priority',
    (s) => {
      const fleet = s.fleet(ALB);
      const service = s.service(ALB, [{ fleet, weight: 1 }]);
      service.addWeightedRule('Api', {
        priority: 7,
        pathPatterns: ['/api/*'],
        fleets: [{ fleet, weight: 1 }],
      });
      service.addWeightedRule('Admin', {
        priority: 7,
        pathPatterns: ['/admin/*'],
        fleets: [{ fleet, weight: 1 }],
      });
    },
    'rules.Admin.priority is 7; rule Api has it already and priorities are unique',
  ],
  [
    'a rule without conditions',
    (s) => {
      const fleet = s.fleet(ALB);
      s.service(ALB, [{ fleet, weight: 1 }]).addWeightedRule('Api', {
        priority: 1,
        fleets: [{ fleet, weight: 1 }],
      });
    },
    'rules.Api has no pathPatterns and no hostHeaders; a rule needs at least one condition',
  ],
  [
    'a rule with six condition values',
    (s) => {
      const fleet = s.fleet(ALB);
      s.service(ALB, [{ fleet, weight: 1 }]).addWeightedRule('Api', {
        priority: 1,
        pathPatterns: ['/a', '/b', '/c', '/d'],
        hostHeaders: ['x.example.com', 'y.example.com'],
        fleets: [{ fleet, weight: 1 }],
      });
    },
    'rules.Api has 6 condition values; a rule holds at most 5 path patterns and host headers together',
  ],

  // Capacity and scaling
  [
    'a minimum capacity above the maximum',
    (s) => s.fleet(ALB, { minCapacity: 5, maxCapacity: 2 }),
    'minCapacity is 5; it must not exceed maxCapacity (2)',
  ],
  [
    'a desired capacity above the maximum',
    (s) => s.fleet(ALB, { minCapacity: 1, maxCapacity: 2, desiredCapacity: 3 }),
    'desiredCapacity is 3; it must be from minCapacity (1) to maxCapacity (2)',
  ],
  [
    'both an instance type and mixed instances',
    (s) => s.fleet(ALB, { mixedInstances: { instanceTypes: [new ec2.InstanceType('t3.micro')] } }),
    'instanceType is t3.micro and mixedInstances is set; set exactly one of them',
  ],
  [
    'an on-demand percentage of 101',
    (s) =>
      s.fleet(ALB, {
        instanceType: undefined,
        mixedInstances: {
          instanceTypes: [new ec2.InstanceType('t3.micro')],
          onDemandPercentageAboveBaseCapacity: 101,
        },
      }),
    'mixedInstances.onDemandPercentageAboveBaseCapacity is 101; a percentage must be an integer from 0 to 100',
  ],
  [
    'request count scaling behind an NLB',
    (s) => s.fleet(NLB, { targetRequestsPerMinutePerTarget: 100 }),
    'targetRequestsPerMinutePerTarget is 100; request count scaling needs an application load balancer (use targetCpuUtilizationPercent)',
  ],
  [
    'a CPU target of 0 percent',
    (s) => s.fleet(ALB, { targetCpuUtilizationPercent: 0 }),
    'targetCpuUtilizationPercent is 0; a percentage must be an integer from 1 to 100',
  ],
];

describe('synth-time validation', () => {
  it.each(cases)('rejects %s', (_title, build, message) => {
    const s = scene();
    expect(() => build(s)).toThrow(message);
  });

  it('prefixes each message with the path of the construct that was misconfigured', () => {
    const s = scene();
    expect(() => s.fleet(ALB, { minCapacity: 5, maxCapacity: 2 })).toThrow(
      /^TestStack\/Fleet1: minCapacity is 5;/,
    );
  });

  it('accepts an NLB health check whose timeout equals its interval', () => {
    const s = scene();
    const fleet = s.fleet(NLB, {
      healthCheck: { timeout: Duration.seconds(10), interval: Duration.seconds(10) },
    });
    s.service(NLB, [{ fleet, weight: 1 }]);

    Template.fromStack(s.stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckTimeoutSeconds: 10,
      HealthCheckIntervalSeconds: 10,
    });
  });

  it('accepts five fleets and weights at both ends of the range', () => {
    const s = scene();
    s.service(
      ALB,
      [0, 999, 1, 2, 3].map((weight) => ({ fleet: s.fleet(ALB), weight })),
    );

    const listener = Template.fromStack(s.stack).findResources(
      'AWS::ElasticLoadBalancingV2::Listener',
    );
    const groups =
      Object.values(listener)[0].Properties.DefaultActions[0].ForwardConfig.TargetGroups;
    expect(groups.map((group: { Weight: number }) => group.Weight)).toEqual([0, 999, 1, 2, 3]);
  });

  it('accepts target stickiness with group stickiness, and a fleet in both the default action and a rule', () => {
    const s = scene();
    const sticky = s.fleet(ALB, { targetStickinessDuration: Duration.minutes(5) });
    const other = s.fleet(ALB);
    const service = s.service(
      ALB,
      [
        { fleet: sticky, weight: 1 },
        { fleet: other, weight: 1 },
      ],
      { groupStickinessDuration: Duration.minutes(10) },
    );
    service.addWeightedRule('Api', {
      priority: 1,
      pathPatterns: ['/api/*'],
      fleets: [{ fleet: sticky, weight: 1 }],
    });

    Template.fromStack(s.stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'stickiness.enabled', Value: 'true' },
        { Key: 'stickiness.type', Value: 'lb_cookie' },
        { Key: 'stickiness.lb_cookie.duration_seconds', Value: '300' },
      ]),
    });
  });

  it('leaves unresolved tokens unchecked', () => {
    const s = scene();
    const unknownNumber = Lazy.number({ produce: () => 3 });
    const fleet = s.fleet(NLB, {
      healthCheck: {
        interval: Duration.seconds(Lazy.number({ produce: () => 30 })),
        healthyThresholdCount: unknownNumber,
      },
      targetGroupName: Lazy.string({ produce: () => 'from-a-token' }),
    });

    expect(() => s.service(NLB, [{ fleet, weight: unknownNumber }])).not.toThrow();
  });
});
