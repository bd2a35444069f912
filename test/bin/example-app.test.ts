import { Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp } from '../../bin/stacks';
import { projectApp } from '../lib/app-helpers';
import { ASSET_HASH_PLACEHOLDER, scrubAssetHashes } from './scrub-asset-hashes';

function exampleTemplates(certificateArn?: string) {
  const app = projectApp();
  const { web, tcp } = buildExampleApp(app, { certificateArn });
  return { web: Template.fromStack(web), tcp: Template.fromStack(tcp) };
}

/** The weights of each listener's forward default action that holds a ForwardConfig. */
function weightedDefaultActions(template: Template): number[][] {
  return Object.values(template.findResources('AWS::ElasticLoadBalancingV2::Listener'))
    .flatMap((listener: any) => listener.Properties.DefaultActions)
    .filter((action: any) => action.Type === 'forward' && action.ForwardConfig)
    .map((action: any) => action.ForwardConfig.TargetGroups.map((group: any) => group.Weight));
}

describe('the example app', () => {
  const templates = exampleTemplates();

  it('gives the ALB service a listener that forwards to two weighted target groups', () => {
    templates.web.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'application',
    });
    expect(weightedDefaultActions(templates.web)).toEqual([[80, 20]]);
  });

  it('gives the NLB service a listener that forwards to two weighted target groups', () => {
    templates.tcp.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
    });
    expect(weightedDefaultActions(templates.tcp)).toEqual([[90, 10]]);
  });

  it('runs the ALB service on two fleets of different instance types', () => {
    const launchTemplates = Object.values(templates.web.findResources('AWS::EC2::LaunchTemplate'));
    const types = launchTemplates.map(
      (resource: any) => resource.Properties.LaunchTemplateData.InstanceType,
    );
    const overrides = Object.values(
      templates.web.findResources('AWS::AutoScaling::AutoScalingGroup'),
    ).flatMap(
      (group: any) => group.Properties.MixedInstancesPolicy?.LaunchTemplate.Overrides ?? [],
    );

    expect(types).toContain('m7g.large');
    expect(overrides.map((override: any) => override.InstanceType)).toEqual([
      'c7i.large',
      'c6i.large',
      'm6i.large',
    ]);
  });

  it('switches the ALB listener to HTTPS with a redirect from port 80 when given a certificate', () => {
    const arn =
      'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
    const { web } = exampleTemplates(arn);

    web.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
    });
    web.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [
        {
          Type: 'redirect',
          RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' },
        },
      ],
    });
  });

  it('matches the ALB stack snapshot', () => {
    expect(scrubAssetHashes(templates.web.toJSON())).toMatchSnapshot();
  });

  it('matches the NLB stack snapshot', () => {
    expect(scrubAssetHashes(templates.tcp.toJSON())).toMatchSnapshot();
  });
});

describe('scrubAssetHashes', () => {
  it('replaces 64-character hex hashes in keys and values and leaves other text alone', () => {
    const hash = 'ab'.repeat(32);
    const scrubbed = scrubAssetHashes({
      [`${hash}.zip`]: [`s3://bucket/${hash}.zip`, 'ami-0123', 42],
    });

    expect(scrubbed).toEqual({
      [`${ASSET_HASH_PLACEHOLDER}.zip`]: [
        `s3://bucket/${ASSET_HASH_PLACEHOLDER}.zip`,
        'ami-0123',
        42,
      ],
    });
  });
});
