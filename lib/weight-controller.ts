import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ArnFormat,
  CfnResource,
  Duration,
  Fn,
  Lazy,
  Names,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { safeParse } from 'zod/v4/core';
import type { ControllerConfigInput, SteeredAction } from '../lambda/contract';
import { MAX_TARGET_GROUPS_PER_ACTION } from '../lambda/contract';
import { CUSTOM_POLICY_MODULE, CUSTOM_POLICY_NAME } from '../lambda/custom-policy';
import {
  ACTION_METRICS,
  DEFAULT_METRICS_NAMESPACE,
  METRIC_DIMENSIONS,
  METRIC_SERVICE_NAME,
  RUN_METRICS,
  TARGET_GROUP_METRICS,
} from '../lambda/metric-names';
import { builtInPolicies } from '../lambda/policies';
import { SteeredActionDescription, toSteeredAction } from './steered-action';
import { LoadBalancerKind } from './types';
import { checkInteger, fail, withPath } from './validation';

export type {
  AlarmState,
  JsonValue,
  MinuteObservation,
  PolicyDefinition,
  PolicyFunction,
  PolicyInput,
  PolicyOutput,
  TargetGroupObservation,
} from '../lambda/contract';

/** The environment variable that holds the configuration JSON when it fits. */
export const CONTROLLER_CONFIG_ENV = 'CONTROLLER_CONFIG';
/** The environment variable naming the SSM parameter that holds a larger configuration. */
export const CONTROLLER_CONFIG_PARAMETER_ENV = 'CONTROLLER_CONFIG_PARAMETER';

/** Lambda allows 4 KB of environment in all; leave room for the variables Lambda adds itself. */
const MAX_INLINE_CONFIG_CHARS = 3_500;
/** SSM's limit for a standard parameter's value; an advanced one holds 8 KB. */
const MAX_STANDARD_PARAMETER_CHARS = 4_096;
const MAX_ADVANCED_PARAMETER_CHARS = 8_192;
/** What an ARN or dimension token is assumed to resolve to at most, to size the configuration. */
const TOKEN_ESTIMATE_CHARS = 200;

/** Options of a weight controller, for use on its own or through WeightedLoadBalancer. */
export interface WeightControllerOptions {
  /**
   * The built-in policy that decides the weights.
   *
   * @default "adaptive", or the custom policy when `policyFile` is set
   */
  readonly policy?: string;

  /**
   * A TypeScript or JavaScript file that exports `policy` (a PolicyDefinition) or a `decide`
   * function. It is bundled with the controller by esbuild at synth, so esbuild must be
   * installed; the guardrails apply to it as to the built-in policies.
   *
   * @default - a built-in policy, from the pre-bundled handler
   */
  readonly policyFile?: string;

  /**
   * The policy's parameters. A built-in policy's parameters are checked at synth. A custom
   * policy's cannot be, as its module does not run at synth: the handler checks them on its first
   * run, and a bad one fails that run with a message naming the parameter.
   *
   * @default - the policy's defaults
   */
  readonly policyParameters?: { [key: string]: any };

  /**
   * The smallest share of traffic, from 0 to 0.2, every group the policy keeps live gets, so it
   * keeps producing metrics.
   *
   * @default 0.02
   */
  readonly minShare?: number;

  /**
   * The largest rise of a group's share in one run, from 0.01 to 1. Cuts are not limited.
   *
   * @default 0.1
   */
  readonly maxStepUp?: number;

  /**
   * No write unless some group's share moves by more than this, from 0 to 0.2.
   *
   * @default 0.01
   */
  readonly deadband?: number;

  /**
   * Hold the weights when fewer than this many groups that carry traffic have a datapoint.
   *
   * @default 1
   */
  readonly minGroupsWithData?: number;

  /**
   * How long before now the metric window ends, as ELB metrics reach CloudWatch late. Whole
   * minutes from 0 to 15.
   *
   * @default Duration.minutes(2)
   */
  readonly metricDelay?: Duration;

  /**
   * How many minutes of metrics the policy sees. Whole minutes from 1 to 60.
   *
   * @default Duration.minutes(5)
   */
  readonly metricWindow?: Duration;

  /**
   * Decide and log, but write no weights.
   *
   * @default false
   */
  readonly dryRun?: boolean;

  /**
   * How often the controller runs. Whole minutes from 1 to 60.
   *
   * @default Duration.minutes(1)
   */
  readonly schedule?: Duration;

  /**
   * Reserve one concurrent execution, so two runs never overlap. Turn it off in an account
   * whose concurrency quota leaves nothing to reserve; the controller's re-read of each action
   * just before writing is then the only guard against overlapping runs.
   *
   * @default true
   */
  readonly reserveConcurrency?: boolean;

  /**
   * How long an outside change to the weights is respected before the controller steers again.
   * Whole minutes up to 24 hours.
   *
   * @default Duration.minutes(30)
   */
  readonly outsideChangeHold?: Duration;

  /**
   * CloudWatch alarms whose states the policy sees, e.g. an application's error alarm.
   *
   * @default - none
   */
  readonly policyAlarms?: cloudwatch.IAlarm[];

  /**
   * The namespace the controller publishes its metrics in.
   *
   * @default "WeightedBalancer"
   */
  readonly metricsNamespace?: string;

  /**
   * How long the controller's logs are kept.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How long the controller may hold for lack of data before an alarm goes off.
   *
   * @default Duration.minutes(15)
   */
  readonly insufficientDataAlarmAfter?: Duration;

  /**
   * An SNS topic that the controller's alarms notify.
   *
   * @default - the alarms notify nothing
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * The SSM parameter that keeps the last written weights, policy state and overrides. The
   * controller creates it on its first run; it outlives the stack.
   *
   * @default - "/weighted-balancer/" followed by a name unique to this construct, then "/state"
   */
  readonly stateParameterName?: string;
}

/** Props of a WeightController. */
export interface WeightControllerProps extends WeightControllerOptions {
  /**
   * The weighted forward actions to steer: `WeightedLoadBalancer.steeredActions()`, or
   * `WeightController.describeExistingAction()` for listeners and rules that exist already.
   */
  readonly actions: SteeredActionDescription[];
}

/** A target group of an existing weighted forward action. */
export interface ExistingTargetGroup {
  /** The target group's ARN, e.g. `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID`. */
  readonly targetGroupArn: string;

  /** A short label for logs, metrics and the dashboard, e.g. "on-demand". */
  readonly label: string;
}

/** An existing listener's default action or rule, given by ARN. */
export interface ExistingActionOptions {
  /** A stable id for the controller's state, logs and metrics, e.g. "web-default". */
  readonly id: string;

  /** The kind of load balancer the listener belongs to. */
  readonly loadBalancerKind: LoadBalancerKind;

  /** The listener's ARN. */
  readonly listenerArn: string;

  /**
   * The rule's ARN.
   *
   * @default - the listener's default action is steered
   */
  readonly ruleArn?: string;

  /** The action's target groups, in the order its forward action lists them. */
  readonly targetGroups: ExistingTargetGroup[];

  /**
   * The weights the action's own CloudFormation template declares, so that the controller
   * restores its weights when a deploy resets them to these.
   *
   * @default - no deploy resets are recognised; a reset counts as an outside change
   */
  readonly templateWeights?: number[];
}

/**
 * Deploys the controller Lambda that steers the weights of one or more weighted forward actions
 * every minute: a policy proposes weights from CloudWatch metrics and target health, and the
 * guardrails bound them. Comes with a dashboard, alarms and a least-privilege role.
 *
 * @example
 * new WeightController(this, 'Controller', {
 *   actions: web.steeredActions(),
 *   maxStepUp: 0.05,
 * });
 */
export class WeightController extends Construct {
  /**
   * Describes an existing listener's default action or rule for the `actions` prop, deriving the
   * CloudWatch dimensions from the ARNs.
   */
  public static describeExistingAction(options: ExistingActionOptions): SteeredActionDescription {
    return {
      id: options.id,
      loadBalancerKind: options.loadBalancerKind,
      listenerArn: options.listenerArn,
      ruleArn: options.ruleArn,
      targetGroups: options.targetGroups.map((group) => ({
        targetGroupArn: group.targetGroupArn,
        label: group.label,
        loadBalancerDimension: loadBalancerDimensionOf(options.listenerArn),
        targetGroupDimension: targetGroupDimensionOf(group.targetGroupArn),
      })),
      templateWeights: options.templateWeights ?? [],
    };
  }

  public readonly function: lambda.IFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: events.Rule;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Goes off when runs fail: the handler's RunFailures, or Lambda errors and timeouts. */
  public readonly failureAlarm: cloudwatch.Alarm;
  /** One per action: goes off when it held for lack of data for `insufficientDataAlarmAfter`. */
  public readonly insufficientDataAlarms: cloudwatch.Alarm[];
  /** One per action: goes off when someone else changed its weights. */
  public readonly outsideChangeAlarms: cloudwatch.Alarm[];
  public readonly stateParameterName: string;
  /** The SSM parameter holding the configuration (the environment has a copy when it fits). */
  public readonly configParameter: ssm.StringParameter;

  private readonly props: WeightControllerProps;
  private readonly settings: Settings;
  private readonly actions: SteeredActionDescription[] = [];
  private readonly monitoring: ControllerMonitoring;

  constructor(scope: Construct, id: string, props: WeightControllerProps) {
    super(scope, id);
    const settings = withPath(this, () => checkProps(props));
    const stack = Stack.of(this);
    this.props = props;
    this.settings = settings;
    props.actions.forEach((action) => {
      this.checkNewAction(action);
      this.actions.push(action);
    });
    this.node.addValidation({
      validate: () =>
        this.actions.length === 0
          ? ['actions is empty; a controller steers at least one action']
          : [],
    });

    this.stateParameterName =
      props.stateParameterName ??
      `/weighted-balancer/${Names.uniqueResourceName(this, { maxLength: 100, separator: '-' })}/state`;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Steers weighted forward actions: reads metrics and health, writes weights',
    });

    // Lazy, so actions added after construction (rules of a WeightedLoadBalancer) are included.
    // The parameter always holds the configuration; the environment carries a copy only when it
    // fits Lambda's 4 KB limit, and an empty value sends the handler to the parameter.
    const configJson = Lazy.string({ produce: () => stack.toJsonString(this.configuration()) });
    const configChars = () => estimateChars(this.configuration());
    this.configParameter = new ssm.StringParameter(this, 'Configuration', {
      stringValue: configJson,
      description: 'Weight controller configuration',
    });
    (this.configParameter.node.defaultChild as ssm.CfnParameter).tier = Lazy.string({
      produce: () =>
        configChars() > MAX_STANDARD_PARAMETER_CHARS
          ? ssm.ParameterTier.ADVANCED
          : ssm.ParameterTier.STANDARD,
    });
    const environment: Record<string, string> = {
      [CONTROLLER_CONFIG_ENV]: Lazy.string({
        produce: () => (configChars() <= MAX_INLINE_CONFIG_CHARS ? configJson : ''),
      }),
      [CONTROLLER_CONFIG_PARAMETER_ENV]: this.configParameter.parameterName,
    };
    this.node.addValidation({
      validate: () =>
        configChars() > MAX_ADVANCED_PARAMETER_CHARS
          ? [
              `actions make a configuration of about ${configChars()} characters; it must fit in an SSM parameter of ${MAX_ADVANCED_PARAMETER_CHARS}, so split the actions over several controllers`,
            ]
          : [],
    });

    const fn = this.createFunction(props, settings, environment);
    this.function = fn;
    this.grantRuntimePermissions(props);
    this.actions.forEach((action) => this.grantModify(action));

    // The role's GetAtt already orders the function after the role; keep only the policy
    // dependency, so cfn-lint finds no redundant DependsOn (W3005).
    const policy = this.role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
    (fn.node.defaultChild as CfnResource).addOverride('DependsOn', [stack.getLogicalId(policy)]);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Runs the weight controller',
      schedule: events.Schedule.rate(settings.schedule),
      targets: [
        new eventsTargets.LambdaFunction(this.function, {
          event: events.RuleTargetInput.fromObject({ command: 'run' }),
          retryAttempts: 0,
        }),
      ],
    });

    this.monitoring = new ControllerMonitoring(this, props, settings, this.function);
    this.dashboard = this.monitoring.dashboard;
    this.failureAlarm = this.monitoring.failureAlarm;
    this.insufficientDataAlarms = this.monitoring.insufficientDataAlarms;
    this.outsideChangeAlarms = this.monitoring.outsideChangeAlarms;
    this.actions.forEach((action) => this.monitoring.addAction(action));
  }

  /**
   * Steers one more weighted forward action, e.g. a rule added to a load balancer after the
   * controller was created: its configuration, permission, alarm and dashboard row follow.
   */
  public addAction(action: SteeredActionDescription): void {
    this.checkNewAction(action);
    this.actions.push(action);
    this.grantModify(action);
    this.monitoring.addAction(action);
  }

  private checkNewAction(action: SteeredActionDescription): void {
    const ids = new Set(this.actions.map((a) => a.id));
    withPath(this, () => checkAction(`actions[${this.actions.length}]`, action, ids));
  }

  private grantModify(action: SteeredActionDescription): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement(
        action.ruleArn === undefined
          ? { actions: ['elasticloadbalancing:ModifyListener'], resources: [action.listenerArn] }
          : { actions: ['elasticloadbalancing:ModifyRule'], resources: [action.ruleArn] },
      ),
    );
  }

  private configuration(actions = this.actions): ControllerConfigInput {
    const props = this.props;
    const settings = this.settings;
    return {
      version: 1,
      actions: actions.map(toContractAction),
      policy: { name: settings.policyName, parameters: props.policyParameters ?? {} },
      guardrails: {
        minShare: props.minShare ?? 0.02,
        maxStepUp: props.maxStepUp ?? 0.1,
        deadband: props.deadband ?? 0.01,
        minGroupsWithData: props.minGroupsWithData ?? 1,
      },
      metrics: {
        delayMinutes: settings.metricDelayMinutes,
        windowMinutes: settings.metricWindowMinutes,
        namespace: settings.namespace,
      },
      alarmNames: (props.policyAlarms ?? []).map((alarm) => alarm.alarmName),
      dryRun: props.dryRun ?? false,
      stateParameterName: this.stateParameterName,
      outsideChangeHoldMinutes: settings.outsideChangeHoldMinutes,
    };
  }

  private createFunction(
    props: WeightControllerProps,
    settings: Settings,
    environment: Record<string, string>,
  ): lambda.Function {
    const common = {
      description: `Steers weighted forward actions with policy "${settings.policyName}"`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // A run must end before the next one starts.
      timeout: Duration.seconds(Math.min(55, settings.schedule.toSeconds() - 5)),
      role: this.role,
      logGroup: this.logGroup,
      environment,
      reservedConcurrentExecutions: props.reserveConcurrency === false ? undefined : 1,
      // A late run acts on stale data; the next scheduled run replaces it.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    };

    if (props.policyFile === undefined) {
      return new lambda.Function(this, 'Function', {
        ...common,
        code: lambda.Code.fromAsset(withPath(this, prebundledHandlerDir)),
        handler: 'index.handler',
      });
    }

    return new nodejs.NodejsFunction(this, 'Function', {
      ...common,
      entry: withPath(this, customEntryFile),
      handler: 'handler',
      bundling: {
        // The SDK is bundled, pinned by the lock file, as in the pre-bundled handler.
        externalModules: [],
        minify: true,
        esbuildArgs: { [`--alias:${CUSTOM_POLICY_MODULE}`]: path.resolve(props.policyFile) },
      },
    });
  }

  private grantRuntimePermissions(props: WeightControllerProps): void {
    const stack = Stack.of(this);
    // These calls support no resource-level permissions: AWS accepts only "*" for them.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetHealth',
          'cloudwatch:GetMetricData',
        ],
        resources: ['*'],
      }),
    );

    const alarms = props.policyAlarms ?? [];
    if (alarms.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: alarms.map((alarm) => alarm.alarmArn),
        }),
      );
    }

    const stateParameterArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: this.stateParameterName.replace(/^\//, ''),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [stateParameterArn],
      }),
    );
    this.configParameter.grantRead(this.role);
    this.logGroup.grantWrite(this.role);

    const policy = this.role.node.findChild('DefaultPolicy').node.defaultChild!;
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'DescribeListeners, DescribeRules, DescribeTargetHealth and GetMetricData support no ' +
        'resource-level permissions; every write is limited to the steered listener and rule ARNs.',
    });
  }
}

interface Settings {
  readonly policyName: string;
  readonly schedule: Duration;
  readonly metricDelayMinutes: number;
  readonly metricWindowMinutes: number;
  readonly outsideChangeHoldMinutes: number;
  readonly insufficientDataAlarmAfterMinutes: number;
  readonly namespace: string;
}

/** Checks the props that are known at synth; fails with the property, the value and the rule. */
function checkProps(props: WeightControllerProps): Settings {
  checkNumber('minShare', props.minShare, 0, 0.2);
  checkNumber('maxStepUp', props.maxStepUp, 0.01, 1);
  checkNumber('deadband', props.deadband, 0, 0.2);
  checkInteger('minGroupsWithData', props.minGroupsWithData, 0, MAX_TARGET_GROUPS_PER_ACTION);

  const schedule = props.schedule ?? Duration.minutes(1);
  const settings: Settings = {
    policyName: checkPolicy(props),
    schedule,
    metricDelayMinutes: wholeMinutes('metricDelay', props.metricDelay, 2, 0, 15),
    metricWindowMinutes: wholeMinutes('metricWindow', props.metricWindow, 5, 1, 60),
    outsideChangeHoldMinutes: wholeMinutes(
      'outsideChangeHold',
      props.outsideChangeHold,
      30,
      0,
      1440,
    ),
    insufficientDataAlarmAfterMinutes: wholeMinutes(
      'insufficientDataAlarmAfter',
      props.insufficientDataAlarmAfter,
      15,
      1,
      1440,
    ),
    namespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
  };
  wholeMinutes('schedule', schedule, 1, 1, 60);

  const namespace = settings.namespace;
  if (
    !Token.isUnresolved(namespace) &&
    (namespace.length === 0 || namespace.length > 255 || namespace.startsWith('AWS/'))
  ) {
    fail(
      `metricsNamespace is "${namespace}"; it must have 1 to 255 characters and not start with "AWS/"`,
    );
  }
  const state = props.stateParameterName;
  if (
    state !== undefined &&
    !Token.isUnresolved(state) &&
    !/^\/[A-Za-z0-9_.\-/]{1,1010}$/.test(state)
  ) {
    fail(
      `stateParameterName is "${state}"; it must start with "/" and hold only letters, digits and "_.-/"`,
    );
  }
  return settings;
}

function checkAction(property: string, action: SteeredActionDescription, ids: Set<string>): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(action.id)) {
    fail(
      `${property}.id is "${action.id}"; an id holds letters, digits, ".", "_" and "-" (at most 64)`,
    );
  }
  if (ids.has(action.id))
    fail(`${property}.id is "${action.id}"; another action has it and ids are unique`);
  ids.add(action.id);

  const count = action.targetGroups.length;
  if (count < 1 || count > MAX_TARGET_GROUPS_PER_ACTION) {
    fail(
      `${property}.targetGroups has ${count} entries; an action has 1 to ${MAX_TARGET_GROUPS_PER_ACTION}`,
    );
  }
  const labels = new Set<string>();
  action.targetGroups.forEach((group, j) => {
    if (group.label.length === 0 || group.label.length > 64 || labels.has(group.label)) {
      fail(
        `${property}.targetGroups[${j}].label is "${group.label}"; a label has 1 to 64 characters and is unique within its action`,
      );
    }
    labels.add(group.label);
  });
  if (action.templateWeights.length > 0 && action.templateWeights.length !== count) {
    fail(
      `${property}.templateWeights has ${action.templateWeights.length} weights; it needs one per target group (${count})`,
    );
  }
}

function checkPolicy(props: WeightControllerProps): string {
  if (props.policyFile !== undefined) {
    if (props.policy !== undefined) {
      fail(`policy is "${props.policy}" and policyFile is set; set one of them`);
    }
    if (!/\.(ts|mts|cts|js|mjs|cjs)$/.test(props.policyFile) || !fs.existsSync(props.policyFile)) {
      fail(
        `policyFile is "${props.policyFile}"; it must be an existing .ts or .js file that exports \`policy\` or \`decide\``,
      );
    }
    return CUSTOM_POLICY_NAME;
  }

  const name = props.policy ?? 'adaptive';
  const policy = Object.prototype.hasOwnProperty.call(builtInPolicies, name)
    ? builtInPolicies[name]
    : undefined;
  if (!policy) {
    const known = Object.keys(builtInPolicies).sort().join(', ');
    fail(
      `policy is "${name}"; it must name a built-in policy (${known}) or set policyFile instead`,
    );
  }

  const parameters = props.policyParameters ?? {};
  if (!Token.isUnresolved(JSON.stringify(parameters))) {
    const parsed = safeParse(policy.parameters, parameters);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      if (issue.code === 'unrecognized_keys') {
        const unknown = issue.keys.map((k) => `policyParameters.${k}`).join(', ');
        const verb = issue.keys.length === 1 ? 'is not a parameter' : 'are not parameters';
        const known = parameterNames(policy.parameters).join(', ');
        fail(`${unknown} ${verb} of policy "${name}"; known parameters: ${known}`);
      }
      const key = issue.path.map(String).join('.');
      const received =
        issue.path.length > 0 ? JSON.stringify(parameters[String(issue.path[0])]) : '';
      const subject = key ? `policyParameters.${key} is ${received}` : 'policyParameters';
      fail(`${subject}; ${issue.message} (policy "${name}")`);
    }
  }
  return name;
}

function checkNumber(property: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isFinite(value) || value < min || value > max) {
    fail(`${property} is ${value}; it must be a number from ${min} to ${max}`);
  }
}

/** The keys of a policy's parameter object, looking through defaults and pipes around it. */
function parameterNames(schema: unknown): string[] {
  let def = (schema as { _zod: { def: Record<string, unknown> } })._zod.def;
  while (def.shape === undefined) {
    const inner = def.innerType ?? def.in;
    if (inner === undefined) return [];
    def = (inner as { _zod: { def: Record<string, unknown> } })._zod.def;
  }
  return Object.keys(def.shape as object).sort();
}

function wholeMinutes(
  property: string,
  value: Duration | undefined,
  defaultMinutes: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return defaultMinutes;
  if (value.isUnresolved()) fail(`${property} is a token; it must be known at synth`);
  const seconds = value.toSeconds();
  if (seconds % 60 !== 0 || seconds / 60 < min || seconds / 60 > max) {
    fail(`${property} is ${value.toHumanString()}; it must be whole minutes from ${min} to ${max}`);
  }
  return seconds / 60;
}

function toContractAction(description: SteeredActionDescription): SteeredAction {
  const action = toSteeredAction(description);
  // Without the template's weights a deploy reset cannot be recognised, only reported.
  if (description.templateWeights.length > 0) return action;
  const { templateWeights: _unused, ...rest } = action;
  return rest;
}

/** `app/NAME/ID` or `net/NAME/ID` from `arn:...:listener/app/NAME/ID/LISTENER`. */
function loadBalancerDimensionOf(listenerArn: string): string {
  if (!Token.isUnresolved(listenerArn)) {
    const match = /:listener\/((?:app|net)\/[^/]+\/[^/]+)\//.exec(listenerArn);
    if (!match) {
      fail(
        `listenerArn is "${listenerArn}"; a listener ARN ends in listener/app|net/NAME/ID/LISTENER_ID`,
      );
    }
    return match[1];
  }
  const parts = Fn.split('/', Fn.select(5, Fn.split(':', listenerArn)));
  return Fn.join('/', [Fn.select(1, parts), Fn.select(2, parts), Fn.select(3, parts)]);
}

/** `targetgroup/NAME/ID` from `arn:...:targetgroup/NAME/ID`. */
function targetGroupDimensionOf(targetGroupArn: string): string {
  if (!Token.isUnresolved(targetGroupArn)) {
    const match = /:(targetgroup\/[^/]+\/[^/]+)$/.exec(targetGroupArn);
    if (!match) {
      fail(`targetGroupArn is "${targetGroupArn}"; a target group ARN ends in targetgroup/NAME/ID`);
    }
    return match[1];
  }
  return Fn.select(5, Fn.split(':', targetGroupArn));
}

/** The configuration's length once its tokens resolve, assuming each resolves to an ARN. */
function estimateChars(config: ControllerConfigInput): number {
  const text = JSON.stringify(config);
  const tokens = text.match(/\$\{Token\[[^\]]+\]\}/g) ?? [];
  return text.length + tokens.reduce((sum, token) => sum + TOKEN_ESTIMATE_CHARS - token.length, 0);
}

/**
 * The directory of the pre-bundled handler: `dist/handler` beside `dist/lib` in the package, or
 * under the project root when running from the TypeScript source.
 */
export function prebundledHandlerDir(): string {
  const candidates = [
    path.join(__dirname, '..', 'handler'),
    path.join(__dirname, '..', 'dist', 'handler'),
  ];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.js')));
  if (!found) {
    fail(
      `the pre-bundled controller handler is missing from ${candidates.join(' and ')}; run "npm run build"`,
    );
  }
  return found;
}

/** The custom-policy bundle entry: compiled beside dist/lib, or the TypeScript source. */
function customEntryFile(): string {
  const candidates = [
    path.join(__dirname, '..', 'lambda', 'custom-entry.js'),
    path.join(__dirname, '..', 'lambda', 'custom-entry.ts'),
  ];
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) fail(`the custom policy entry is missing from ${candidates.join(' and ')}`);
  return found;
}

/** The dashboard and alarms of one controller, on the metrics the handler publishes. */
class ControllerMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly failureAlarm: cloudwatch.Alarm;
  public readonly outsideChangeAlarms: cloudwatch.Alarm[] = [];
  public readonly insufficientDataAlarms: cloudwatch.Alarm[] = [];
  private readonly alarmTopic?: sns.ITopic;
  /** Runs in a row an action must hold for lack of data before its alarm goes off. */
  private readonly holdPeriods: number;

  constructor(
    scope: Construct,
    props: WeightControllerProps,
    private readonly settings: Settings,
    fn: lambda.IFunction,
  ) {
    super(scope, 'Monitoring');
    const period = settings.schedule;
    this.alarmTopic = props.alarmTopic;

    const runFailures = this.controllerMetric(RUN_METRICS.runFailures, {});
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmDescription: 'Weight controller runs failed: bad configuration, AWS errors or timeouts',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(runFailures, 0) + FILL(errors, 0)',
        usingMetrics: { runFailures, errors: fn.metricErrors({ period, statistic: 'Sum' }) },
        period,
        label: 'Failed runs',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.holdPeriods = Math.max(
      1,
      Math.ceil(settings.insufficientDataAlarmAfterMinutes / (period.toSeconds() / 60)),
    );

    this.notify(this.failureAlarm);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Controller alarms',
        alarms: [this.failureAlarm],
        width: 24,
        height: 2,
      }),
    );
  }

  /** The alarms and the dashboard row of one steered action. */
  public addAction(action: SteeredActionDescription): void {
    const outsideChange = new cloudwatch.Alarm(this, `OutsideChangeAlarm-${action.id}`, {
      alarmDescription: `Someone else changed the weights of ${action.id}`,
      metric: this.controllerMetric(ACTION_METRICS.outsideChanges, { action: action.id }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.notify(outsideChange);
    this.outsideChangeAlarms.push(outsideChange);

    const insufficientData = new cloudwatch.Alarm(this, `InsufficientDataAlarm-${action.id}`, {
      alarmDescription: `The weight controller held ${action.id} for lack of data for ${this.settings.insufficientDataAlarmAfterMinutes} minutes`,
      metric: this.controllerMetric(ACTION_METRICS.insufficientDataHolds, { action: action.id }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: this.holdPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.notify(insufficientData);
    this.insufficientDataAlarms.push(insufficientData);

    this.addActionWidgets(action, [outsideChange, insufficientData]);
  }

  private notify(alarm: cloudwatch.Alarm): void {
    if (this.alarmTopic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmTopic));
  }

  /** A metric the handler publishes, with the dimensions it publishes it under. */
  private controllerMetric(
    metricName: string,
    dimensions: { action?: string; targetGroup?: string },
    statistic = 'Sum',
  ): cloudwatch.Metric {
    const dimensionsMap: Record<string, string> = {
      [METRIC_DIMENSIONS.service]: METRIC_SERVICE_NAME,
    };
    if (dimensions.action !== undefined)
      dimensionsMap[METRIC_DIMENSIONS.action] = dimensions.action;
    if (dimensions.targetGroup !== undefined)
      dimensionsMap[METRIC_DIMENSIONS.targetGroup] = dimensions.targetGroup;
    return new cloudwatch.Metric({
      namespace: this.settings.namespace,
      metricName,
      dimensionsMap,
      statistic,
      period: this.settings.schedule,
    });
  }

  private addActionWidgets(action: SteeredActionDescription, alarms: cloudwatch.Alarm[]): void {
    const application = action.loadBalancerKind === LoadBalancerKind.APPLICATION;
    const namespace = application ? 'AWS/ApplicationELB' : 'AWS/NetworkELB';
    const elbMetric = (metricName: string, statistic: string) =>
      action.targetGroups.map(
        (group) =>
          new cloudwatch.Metric({
            namespace,
            metricName,
            dimensionsMap: {
              LoadBalancer: group.loadBalancerDimension,
              TargetGroup: group.targetGroupDimension,
            },
            statistic,
            period: Duration.minutes(1),
            label: group.label,
          }),
      );
    const graph = (title: string, left: cloudwatch.IMetric[]) =>
      new cloudwatch.GraphWidget({ title: `${action.id}: ${title}`, left, width: 8, height: 6 });

    const weights = action.targetGroups.map((group) =>
      this.controllerMetric(
        TARGET_GROUP_METRICS.weight,
        { action: action.id, targetGroup: group.label },
        'Average',
      ).with({
        label: group.label,
      }),
    );
    const decisions = [
      ACTION_METRICS.writes,
      ACTION_METRICS.holds,
      ACTION_METRICS.outsideChanges,
    ].map((name) => this.controllerMetric(name, { action: action.id }).with({ label: name }));

    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.TextWidget({ markdown: `### ${action.id}`, width: 18, height: 2 }),
      new cloudwatch.AlarmStatusWidget({
        title: 'alarms',
        alarms,
        width: 6,
        height: 2,
      }),
      graph('weight', weights),
      graph('healthy hosts', elbMetric('HealthyHostCount', 'Minimum')),
    ];
    if (application) {
      widgets.push(
        graph('requests', elbMetric('RequestCount', 'Sum')),
        graph('latency (average)', elbMetric('TargetResponseTime', 'Average')),
        graph('latency (p99)', elbMetric('TargetResponseTime', 'p99')),
        graph('target 5xx', elbMetric('HTTPCode_Target_5XX_Count', 'Sum')),
      );
    }
    widgets.push(graph('controller decisions', decisions));
    this.dashboard.addWidgets(...widgets);
  }
}
