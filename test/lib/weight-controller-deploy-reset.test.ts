/**
 * A `cdk deploy` that touches the listener puts the template's weights back (CloudFormation
 * rewrites the whole action). The controller recognises exactly those weights because the
 * construct hands it the template's weights, and restores what it last wrote. These tests follow
 * that chain from the synthesized template to the handler's plan.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { controllerConfigSchema, TargetGroupObservation } from '../../lambda/contract';
import { planAction } from '../../lambda/control';
import { healthyHostsPolicy } from '../../lambda/policies/healthy-hosts';
import { LiveAction } from '../../lambda/read-actions';
import { Fleet } from '../../lib/fleet';
import { LoadBalancerKind } from '../../lib/types';
import { WeightController } from '../../lib/weight-controller';
import { WeightedLoadBalancer } from '../../lib/weighted-load-balancer';
import { stackWithVpc } from './app-helpers';

const TG = (name: string) =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`;

/** Resolved JSON with every CloudFormation reference replaced by its logical id. */
function withRefsAsText(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(withRefsAsText).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref) return `arn:ref:${ref}`;
  const getAtt = (value as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
  if (getAtt) return `arn:getatt:${getAtt.join('.')}`;
  return JSON.stringify(value);
}

function synthesize() {
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
  });
  new WeightController(stack, 'Controller', { actions: web.steeredActions() });
  return Template.fromStack(stack);
}

describe('restoring the weights after a deploy resets the listener', () => {
  const template = synthesize();
  const [listener] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::Listener'));
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
    (f) => f.Properties.Environment?.Variables?.CONTROLLER_CONFIG,
  )!;
  const config = controllerConfigSchema.parse(
    JSON.parse(withRefsAsText(fn.Properties.Environment.Variables.CONTROLLER_CONFIG)),
  );
  const action = config.actions[0];

  test("hands the controller the listener's template weights, in its target group order", () => {
    const forward = listener.Properties.DefaultActions[0].ForwardConfig.TargetGroups as {
      TargetGroupArn: string;
      Weight: number;
    }[];
    const templateWeights = action.targetGroups.map(
      (group) => forward.find((tg) => tg.TargetGroupArn === group.targetGroupArn)!.Weight,
    );
    expect(action.templateWeights).toEqual(templateWeights);
    expect(templateWeights).toEqual([80, 20]);
  });

  test('restores its last written weights when it finds exactly the template weights live', () => {
    const observations: TargetGroupObservation[] = action.targetGroups.map((group, i) => ({
      targetGroupArn: group.targetGroupArn,
      label: group.label,
      currentWeight: [80, 20][i],
      healthyHostCount: 3,
      minutes: [],
    }));
    const live: LiveAction = {
      actionId: action.id,
      kind: 'listener',
      arn: action.listenerArn,
      actions: [],
      forwardIndex: 0,
      liveGroups: [],
      weights: [80, 20],
      mismatch: undefined,
    };
    const lastWritten = {
      weights: [450, 549],
      targetGroupArns: action.targetGroups.map((g) => g.targetGroupArn),
      atMs: 1_700_000_000_000,
    };

    const plan = planAction({
      config: action,
      live,
      observations,
      state: { lastWritten },
      nowMs: 1_700_000_060_000,
      policy: healthyHostsPolicy,
      parameters: {},
      alarms: {},
      guardrails: config.guardrails,
      outsideChangeHoldMinutes: config.outsideChangeHoldMinutes,
    });
    expect(plan).toMatchObject({ mode: 'restore-after-deploy', write: true, weights: [450, 549] });
  });
});
