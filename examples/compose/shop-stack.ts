import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { Fleet, LoadBalancerKind, WeightedLoadBalancer } from 'cdk-weighted-balancer';

export class ShopStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2 });
    const kind = LoadBalancerKind.APPLICATION;

    const x86 = new Fleet(this, 'X86', {
      vpc,
      loadBalancerKind: kind,
      label: 'x86',
      instanceType: new ec2.InstanceType('m7i.large'),
      healthCheck: { path: '/health' },
      targetRequestsPerMinutePerTarget: 3000,
    });
    const graviton = new Fleet(this, 'Graviton', {
      vpc,
      loadBalancerKind: kind,
      label: 'graviton',
      instanceType: new ec2.InstanceType('m7g.large'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({
        cpuType: ec2.AmazonLinuxCpuType.ARM_64,
      }),
      healthCheck: { path: '/health' },
      targetRequestsPerMinutePerTarget: 3000,
    });

    const web = new WeightedLoadBalancer(this, 'Web', {
      loadBalancerKind: kind,
      vpc,
      fleets: [
        { fleet: x86, weight: 90 },
        { fleet: graviton, weight: 10 },
      ],
    });
    web.addWeightedRule('Api', {
      priority: 10,
      pathPatterns: ['/api/*'],
      fleets: [{ fleet: x86, weight: 1 }],
    });
  }
}
