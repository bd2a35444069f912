import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LoadBalancerKind } from '../../lib/types';
import { WeightController, WeightControllerProps } from '../../lib/weight-controller';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const RULE_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
export const tgArn = (name: string) =>
  `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${name}/73e2d6bc24d8a067`;

export function existingDefaultAction(labels = ['on-demand', 'spot']) {
  return WeightController.describeExistingAction({
    id: 'web-default',
    loadBalancerKind: LoadBalancerKind.APPLICATION,
    listenerArn: LISTENER_ARN,
    targetGroups: labels.map((label) => ({ targetGroupArn: tgArn(label), label })),
    templateWeights: labels.map(() => 10),
  });
}

export function existingRuleAction() {
  return WeightController.describeExistingAction({
    id: 'web-api',
    loadBalancerKind: LoadBalancerKind.APPLICATION,
    listenerArn: LISTENER_ARN,
    ruleArn: RULE_ARN,
    targetGroups: [
      { targetGroupArn: tgArn('api-blue'), label: 'blue' },
      { targetGroupArn: tgArn('api-green'), label: 'green' },
    ],
  });
}

/** A stack with a controller over a default action and a rule; props may need the stack. */
export function controllerStack(
  props: Partial<WeightControllerProps> | ((stack: Stack) => Partial<WeightControllerProps>) = {},
) {
  const app = new App();
  const stack = new Stack(app, 'Controlled', { env: { account: ACCOUNT, region: REGION } });
  const controller = new WeightController(stack, 'Controller', {
    actions: [existingDefaultAction(), existingRuleAction()],
    ...(typeof props === 'function' ? props(stack) : props),
  });
  return { app, stack, controller, template: () => Template.fromStack(stack) };
}

/** The resolved value of one function environment variable. */
export function environmentVariable(template: Template, name: string): unknown {
  const functions = template.findResources('AWS::Lambda::Function');
  const values = Object.values(functions).map((f) => f.Properties.Environment?.Variables?.[name]);
  return values.find((v) => v !== undefined);
}
