import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lambda/config-source';
import { Fleet } from '../../lib/fleet';
import { LoadBalancerKind } from '../../lib/types';
import { WeightedLoadBalancer, WeightedLoadBalancerProps } from '../../lib/weighted-load-balancer';
import { buildExampleApp } from '../../bin/stacks';
import { projectApp, stackWithVpc } from './app-helpers';

const TG = (name: string) =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`;

function loadBalancer(props: Partial<WeightedLoadBalancerProps>) {
  const { stack, vpc } = stackWithVpc();
  const fleet = (label: string) =>
    Fleet.fromTargetGroupArn(stack, label, {
      targetGroupArn: TG(label),
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      label,
    });
  const web = new WeightedLoadBalancer(stack, 'Web', {
    loadBalancerKind: LoadBalancerKind.APPLICATION,
    vpc,
    fleets: [
      { fleet: fleet('on-demand'), weight: 80 },
      { fleet: fleet('spot'), weight: 20 },
    ],
    ...props,
  });
  web.addWeightedRule('Api', {
    priority: 10,
    pathPatterns: ['/api/*'],
    fleets: [
      { fleet: fleet('blue'), weight: 1 },
      { fleet: fleet('green'), weight: 1 },
    ],
  });
  return { web, template: () => Template.fromStack(stack) };
}

function controllerConfig(template: Template) {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
    (f) => f.Properties.Environment?.Variables?.CONTROLLER_CONFIG,
  );
  return fn && fn.Properties.Environment.Variables.CONTROLLER_CONFIG;
}

describe('WeightedLoadBalancer with a controller', () => {
  test('deploys no controller unless asked', () => {
    const { web, template } = loadBalancer({});
    expect(web.controller).toBeUndefined();
    expect(controllerConfig(template())).toBeUndefined();
  });

  test('steers the default action and a rule added after construction', () => {
    const { web, template } = loadBalancer({ controller: { maxStepUp: 0.05 } });
    const resolved = controllerConfig(template());
    const parts = resolved['Fn::Join'][1] as unknown[];
    const text = parts.map((p) => (typeof p === 'string' ? p : 'arn:token')).join('');
    const config = parseConfig(text, 'the template');

    expect(web.controller).toBeDefined();
    expect(config.actions.map((a) => a.id)).toEqual(['Web-default', 'Web-Api']);
    expect(config.actions[1].templateWeights).toEqual([1, 1]);
    expect(config.guardrails.maxStepUp).toBe(0.05);
  });

  test('steers with the adaptive policy when none is named', () => {
    const { template } = loadBalancer({ controller: {} });
    const [fn] = Object.values(template().findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.CONTROLLER_CONFIG,
    );
    expect(fn.Properties.Description).toBe(
      'Steers weighted forward actions with policy "adaptive"',
    );
  });

  test('names the controller in the path of an error in its props', () => {
    expect(() => loadBalancer({ controller: { minShare: 0.5 } })).toThrow(
      new Error('TestStack/Web/Controller: minShare is 0.5; it must be a number from 0 to 0.2'),
    );
  });

  test('lets the controller modify the listener and the rule it steers', () => {
    const { template } = loadBalancer({ controller: {} });
    const statements = Object.values(template().findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const modify = statements.filter((s) =>
      ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule'].includes(
        s.Action as string,
      ),
    );
    expect(modify.map((s) => s.Action)).toEqual([
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:ModifyRule',
    ]);
    expect(JSON.stringify(modify[0].Resource)).toMatch(/"Ref":"WebLoadBalancerListener/);
    expect(JSON.stringify(modify[1].Resource)).toMatch(/"Ref":"WebApiRule/);
  });
});

describe('the example app', () => {
  test('steers both example services with a controller', () => {
    const app = projectApp();
    buildExampleApp(app);
    const controlled = app.node
      .findAll()
      .filter((c): c is WeightedLoadBalancer => c instanceof WeightedLoadBalancer)
      .map((lb) => [lb.node.path, lb.controller !== undefined]);
    expect(controlled).toEqual([
      ['WeightedWebService/Web', true],
      ['WeightedTcpService/Tcp', true],
    ]);
  });
});
