import { Duration, Fn } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_ENV, CONFIG_PARAMETER_ENV, parseConfig } from '../../lambda/config-source';
import {
  CONTROLLER_CONFIG_ENV,
  CONTROLLER_CONFIG_PARAMETER_ENV,
  WeightController,
} from '../../lib/weight-controller';
import { LoadBalancerKind } from '../../lib/types';
import {
  ACCOUNT,
  controllerStack,
  environmentVariable,
  existingDefaultAction,
  LISTENER_ARN,
  REGION,
  RULE_ARN,
  tgArn,
} from './weight-controller-fixtures';

const ADAPTIVE_PARAMETERS =
  'deadband, degradedFactor, errorPenaltyMs, failingFloor, fastCutErrorRate, fitSmoothing, floor, ' +
  'gain, maxShare, maxShareDuringFault, maxUtilisation, minImprovement, minRequests, ' +
  'minTailRequests, overloadLatencyFactor, restoreMinutes, restoreStep, smoothing, surgeFactor, ' +
  'surgeUtilisation';

const statements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      policy.Properties.PolicyDocument.Statement as {
        Action: string | string[];
        Resource: unknown;
      }[],
  );
const actionsOf = (statement: { Action: string | string[] }) => [statement.Action].flat();

describe('WeightController schedule and function', () => {
  test('runs the controller every minute with a run command and no retries', () => {
    const template = controllerStack().template();
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({ Input: '{"command":"run"}', RetryPolicy: { MaximumRetryAttempts: 0 } }),
      ],
    });
  });

  test('runs at the configured rate', () => {
    const template = controllerStack({ schedule: Duration.minutes(5) }).template();
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  test('deploys the pre-bundled handler on the current Node.js runtime for arm64', () => {
    const template = controllerStack().template();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 55,
    });
  });

  test('reserves one concurrent execution by default', () => {
    const template = controllerStack().template();
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 });
  });

  test('reserves no concurrency when reserveConcurrency is false', () => {
    const template = controllerStack({ reserveConcurrency: false }).template();
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  test('drops a late asynchronous invocation rather than retrying it', () => {
    const template = controllerStack().template();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  test('keeps its logs for the configured retention', () => {
    const template = controllerStack().template();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('WeightController environment', () => {
  test('names the environment variables the handler reads', () => {
    expect(CONTROLLER_CONFIG_ENV).toBe(CONFIG_ENV);
    expect(CONTROLLER_CONFIG_PARAMETER_ENV).toBe(CONFIG_PARAMETER_ENV);
  });

  test('passes a configuration the handler parses, with every prop in place', () => {
    const { template } = controllerStack((stack) => ({
      minShare: 0.05,
      maxStepUp: 0.2,
      deadband: 0.02,
      minGroupsWithData: 2,
      metricDelay: Duration.minutes(3),
      metricWindow: Duration.minutes(10),
      dryRun: true,
      outsideChangeHold: Duration.hours(1),
      policy: 'healthy-hosts',
      policyParameters: { minHealthyHosts: 2 },
      metricsNamespace: 'Shop/Weights',
      stateParameterName: '/shop/weights/state',
      policyAlarms: [
        cloudwatch.Alarm.fromAlarmArn(
          stack,
          'AppErrors',
          `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:app-errors`,
        ),
      ],
    }));
    const config = parseConfig(
      environmentVariable(template(), CONFIG_ENV) as string,
      'the template',
    );

    expect(config.guardrails).toEqual({
      minShare: 0.05,
      maxStepUp: 0.2,
      deadband: 0.02,
      minGroupsWithData: 2,
    });
    expect(config.metrics).toEqual({
      delayMinutes: 3,
      windowMinutes: 10,
      namespace: 'Shop/Weights',
    });
    expect(config.policy).toEqual({ name: 'healthy-hosts', parameters: { minHealthyHosts: 2 } });
    expect(config).toMatchObject({
      dryRun: true,
      outsideChangeHoldMinutes: 60,
      stateParameterName: '/shop/weights/state',
      alarmNames: ['app-errors'],
    });
  });

  test('describes each action with its ARNs, labels and CloudWatch dimensions', () => {
    const config = parseConfig(
      environmentVariable(controllerStack().template(), CONFIG_ENV) as string,
      'the template',
    );
    expect(config.actions[0]).toEqual({
      id: 'web-default',
      loadBalancerType: 'application',
      listenerArn: LISTENER_ARN,
      targetGroups: ['on-demand', 'spot'].map((label) => ({
        targetGroupArn: tgArn(label),
        label,
        dimensions: {
          LoadBalancer: 'app/web/50dc6c495c0c9188',
          TargetGroup: `targetgroup/${label}/73e2d6bc24d8a067`,
        },
        customMetrics: [],
      })),
      templateWeights: [10, 10],
    });
    expect(config.actions[1]).toMatchObject({ id: 'web-api', ruleArn: RULE_ARN });
    expect(config.actions[1].templateWeights).toBeUndefined();
  });

  test('keeps a configuration too large for the environment in the SSM parameter only', () => {
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const actions = Array.from({ length: 5 }, (_, i) => ({
      ...existingDefaultAction(labels),
      id: `action-${i}`,
    }));
    const { template: synth, controller } = controllerStack({ actions });
    const template = synth();

    expect(environmentVariable(template, CONFIG_ENV)).toBe('');
    expect(environmentVariable(template, CONFIG_PARAMETER_ENV)).toEqual({
      Ref: expect.stringMatching(/^ControllerConfiguration/),
    });
    const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter'));
    expect(parseConfig(parameter.Properties.Value, 'the parameter').actions).toHaveLength(5);
    expect(controller.configParameter).toBeDefined();
    expect(statements(template)).toContainEqual(
      expect.objectContaining({
        Action: [
          'ssm:DescribeParameters',
          'ssm:GetParameters',
          'ssm:GetParameter',
          'ssm:GetParameterHistory',
        ],
      }),
    );
  });
});

describe('WeightController permissions', () => {
  test('allows ModifyListener only on the steered listener', () => {
    const modify = statements(controllerStack().template()).filter((s) =>
      actionsOf(s).includes('elasticloadbalancing:ModifyListener'),
    );
    expect(modify).toEqual([
      expect.objectContaining({
        Action: 'elasticloadbalancing:ModifyListener',
        Resource: LISTENER_ARN,
      }),
    ]);
  });

  test('allows ModifyRule only on the steered rule', () => {
    const modify = statements(controllerStack().template()).filter((s) =>
      actionsOf(s).includes('elasticloadbalancing:ModifyRule'),
    );
    expect(modify).toEqual([
      expect.objectContaining({ Action: 'elasticloadbalancing:ModifyRule', Resource: RULE_ARN }),
    ]);
  });

  test('grants "*" only to the calls that support no resource-level permissions', () => {
    const wildcard = statements(controllerStack().template()).filter((s) => s.Resource === '*');
    expect(wildcard.flatMap(actionsOf).sort()).toEqual([
      'cloudwatch:GetMetricData',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTargetHealth',
    ]);
  });

  test('reads and writes only its own state parameter', () => {
    const ssm = statements(
      controllerStack({ stateParameterName: '/shop/state' }).template(),
    ).filter((s) => actionsOf(s).includes('ssm:PutParameter'));
    expect(ssm).toHaveLength(1);
    expect(JSON.stringify(ssm[0].Resource)).toContain(
      `:ssm:${REGION}:${ACCOUNT}:parameter/shop/state"`,
    );
  });

  test('reads the states of the alarms the policy names and no others', () => {
    const { template } = controllerStack();
    const alarmArn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:app-errors`;
    const withAlarm = controllerStack((stack) => ({
      policyAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'AppErrors', alarmArn)],
    }));
    const describe = statements(withAlarm.template()).filter((s) =>
      actionsOf(s).includes('cloudwatch:DescribeAlarms'),
    );
    expect(describe).toEqual([expect.objectContaining({ Resource: alarmArn })]);
    expect(
      statements(template()).some((s) => actionsOf(s).includes('cloudwatch:DescribeAlarms')),
    ).toBe(false);
  });

  test('is cdk-nag clean, with the one wildcard acknowledged on the role policy', () => {
    const { stack, template } = controllerStack();
    template();
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations).toEqual([]);
  });
});

describe('WeightController dashboard and alarms', () => {
  test('alarms on failed runs from the handler metric and Lambda errors', () => {
    controllerStack()
      .template()
      .hasResourceProperties('AWS::CloudWatch::Alarm', {
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'FILL(runFailures, 0) + FILL(errors, 0)' }),
          Match.objectLike({
            Id: 'runFailures',
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({
                MetricName: 'RunFailures',
                Namespace: 'WeightedBalancer',
              }),
            }),
          }),
          Match.objectLike({
            Id: 'errors',
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ MetricName: 'Errors', Namespace: 'AWS/Lambda' }),
            }),
          }),
        ]),
      });
  });

  test('alarms per action when it held for lack of data for the configured time', () => {
    const { controller, template: synth } = controllerStack({
      insufficientDataAlarmAfter: Duration.minutes(20),
      schedule: Duration.minutes(2),
    });
    const template = synth();
    expect(controller.insufficientDataAlarms).toHaveLength(2);
    for (const action of ['web-default', 'web-api']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'WeightedBalancer',
        MetricName: 'InsufficientDataHolds',
        Dimensions: [
          { Name: 'Action', Value: action },
          { Name: 'service', Value: 'weight-controller' },
        ],
        Statistic: 'Sum',
        Period: 120,
        EvaluationPeriods: 10,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });

  test('alarms on an outside change to each action', () => {
    const template = controllerStack().template();
    for (const action of ['web-default', 'web-api']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'OutsideChanges',
        Dimensions: Match.arrayWith([{ Name: 'Action', Value: action }]),
      });
    }
  });

  test('notifies the alarm topic from every alarm', () => {
    const { template } = controllerStack();
    const withTopic = controllerStack((stack) => ({
      alarmTopic: sns.Topic.fromTopicArn(stack, 'Ops', `arn:aws:sns:${REGION}:${ACCOUNT}:ops`),
    }));
    const alarms = Object.values(withTopic.template().findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(5);
    for (const alarm of alarms)
      expect(alarm.Properties.AlarmActions).toEqual([`arn:aws:sns:${REGION}:${ACCOUNT}:ops`]);
    expect(
      Object.values(template().findResources('AWS::CloudWatch::Alarm'))[0].Properties.AlarmActions,
    ).toBeUndefined();
  });

  test('shows each target group weight beside its requests, latency, 5xx and healthy hosts', () => {
    const [dashboard] = Object.values(
      controllerStack().template().findResources('AWS::CloudWatch::Dashboard'),
    );
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of [
      '\\"Weight\\"',
      'RequestCount',
      'TargetResponseTime',
      'HTTPCode_Target_5XX_Count',
      'HealthyHostCount',
    ]) {
      expect(body).toContain(metric);
    }
    expect(body).toContain('\\"Action\\",\\"web-default\\",\\"TargetGroup\\",\\"on-demand\\"');
    expect(body).toContain('\\"p99\\"');
  });
});

describe('WeightController.describeExistingAction', () => {
  test('derives CloudWatch dimensions from unresolved ARNs at deploy time', () => {
    const action = WeightController.describeExistingAction({
      id: 'imported',
      loadBalancerKind: LoadBalancerKind.NETWORK,
      listenerArn: Fn.importValue('ListenerArn'),
      targetGroups: [{ targetGroupArn: Fn.importValue('TargetGroupArn'), label: 'a' }],
    });
    const { stack } = controllerStack();
    expect(stack.resolve(action.targetGroups[0].targetGroupDimension)).toEqual({
      'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::ImportValue': 'TargetGroupArn' }] }],
    });
    expect(JSON.stringify(stack.resolve(action.targetGroups[0].loadBalancerDimension))).toContain(
      'Fn::Join',
    );
  });

  test('rejects a listener ARN it cannot read a load balancer from', () => {
    expect(() =>
      WeightController.describeExistingAction({
        id: 'x',
        loadBalancerKind: LoadBalancerKind.APPLICATION,
        listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/1',
        targetGroups: [{ targetGroupArn: tgArn('a'), label: 'a' }],
      }),
    ).toThrow(
      'listenerArn is "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/1"; a listener ARN ends in listener/app|net/NAME/ID/LISTENER_ID',
    );
  });
});

describe('WeightController validation', () => {
  test.each([
    [{ minShare: 0.5 }, 'minShare is 0.5; it must be a number from 0 to 0.2'],
    [{ maxStepUp: 0 }, 'maxStepUp is 0; it must be a number from 0.01 to 1'],
    [{ deadband: Number.NaN }, 'deadband is NaN; it must be a number from 0 to 0.2'],
    [{ minGroupsWithData: 6 }, 'minGroupsWithData is 6; it must be an integer from 0 to 5'],
    [
      { schedule: Duration.seconds(90) },
      'schedule is 1 minute 30 seconds; it must be whole minutes from 1 to 60',
    ],
    [
      { metricDelay: Duration.minutes(20) },
      'metricDelay is 20 minutes; it must be whole minutes from 0 to 15',
    ],
    [
      { policy: 'fastest' },
      'policy is "fastest"; it must name a built-in policy (adaptive, canary, capacity, failover, healthy-hosts) or set policyFile instead',
    ],
    [
      { policy: 'healthy-hosts', policyParameters: { minHealthyHosts: 0 } },
      'policyParameters.minHealthyHosts is 0; Too small: expected number to be >=1 (policy "healthy-hosts")',
    ],
    [
      { policyParameters: { bogus: 2 } },
      `policyParameters.bogus is not a parameter of policy "adaptive"; known parameters: ${ADAPTIVE_PARAMETERS}`,
    ],
    [
      { policy: 'healthy-hosts', policyParameters: { minHealthyHost: 2, maxHosts: 3 } },
      'policyParameters.minHealthyHost, policyParameters.maxHosts are not parameters of policy "healthy-hosts"; known parameters: minHealthyHosts',
    ],
    [
      { policyFile: 'nowhere/policy.ts' },
      'policyFile is "nowhere/policy.ts"; it must be an existing .ts or .js file that exports `policy` or `decide`',
    ],
    [
      { policy: 'healthy-hosts', policyFile: __filename },
      'policy is "healthy-hosts" and policyFile is set; set one of them',
    ],
    [
      { metricsNamespace: 'AWS/Mine' },
      'metricsNamespace is "AWS/Mine"; it must have 1 to 255 characters and not start with "AWS/"',
    ],
    [
      { stateParameterName: 'state' },
      'stateParameterName is "state"; it must start with "/" and hold only letters, digits and "_.-/"',
    ],
  ])('rejects %p, naming the controller', (props, message) => {
    expect(() => controllerStack(props)).toThrow(new Error(`Controlled/Controller: ${message}`));
  });

  test('fails synth when no action was given or added', () => {
    const { template } = controllerStack({ actions: [] });
    expect(() => template()).toThrow('actions is empty; a controller steers at least one action');
  });

  test('rejects two actions with the same id', () => {
    expect(() =>
      controllerStack({ actions: [existingDefaultAction(), existingDefaultAction()] }),
    ).toThrow(
      new Error(
        'Controlled/Controller: actions[1].id is "web-default"; another action has it and ids are unique',
      ),
    );
  });

  test('rejects two target groups with the same label in one action', () => {
    expect(() => controllerStack({ actions: [existingDefaultAction(['a', 'a'])] })).toThrow(
      new Error(
        'Controlled/Controller: actions[0].targetGroups[1].label is "a"; a label has 1 to 64 characters and is unique within its action',
      ),
    );
  });
});

describe('WeightController.addAction', () => {
  test('adds a late action to the configuration, the permissions, the alarms and the dashboard', () => {
    const { controller, template: synth } = controllerStack({ actions: [existingDefaultAction()] });
    controller.addAction({ ...existingDefaultAction(['x', 'y']), id: 'late', ruleArn: RULE_ARN });
    const template = synth();

    const config = parseConfig(environmentVariable(template, CONFIG_ENV) as string, 'the template');
    expect(config.actions.map((a) => a.id)).toEqual(['web-default', 'late']);
    expect(statements(template)).toContainEqual(
      expect.objectContaining({ Action: 'elasticloadbalancing:ModifyRule', Resource: RULE_ARN }),
    );
    for (const metricName of ['OutsideChanges', 'InsufficientDataHolds']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metricName,
        Dimensions: Match.arrayWith([{ Name: 'Action', Value: 'late' }]),
      });
    }
    expect(controller.insufficientDataAlarms).toHaveLength(2);
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain('### late');
  });

  test('rejects a late action whose id is taken', () => {
    const { controller } = controllerStack({ actions: [existingDefaultAction()] });
    expect(() => controller.addAction(existingDefaultAction())).toThrow(
      new Error(
        'Controlled/Controller: actions[1].id is "web-default"; another action has it and ids are unique',
      ),
    );
  });

  test('keeps the configuration in SSM only once late actions outgrow the environment', () => {
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const { controller, template } = controllerStack({ actions: [existingDefaultAction(labels)] });
    for (const i of [1, 2, 3])
      controller.addAction({ ...existingDefaultAction(labels), id: `late-${i}` });

    expect(environmentVariable(template(), CONFIG_ENV)).toBe('');
    const [parameter] = Object.values(template().findResources('AWS::SSM::Parameter'));
    expect(parseConfig(parameter.Properties.Value, 'the parameter').actions).toHaveLength(4);
  });

  test('fails synth when the configuration outgrows an advanced SSM parameter', () => {
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const actions = Array.from({ length: 9 }, (_, i) => ({
      ...existingDefaultAction(labels),
      id: `action-${i}`,
    }));
    const { template } = controllerStack({ actions });
    expect(() => template()).toThrow(
      /actions make a configuration of about \d+ characters; it must fit in an SSM parameter of 8192, so split the actions over several controllers/,
    );
  });
});
