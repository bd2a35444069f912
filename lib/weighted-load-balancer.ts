import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SteeredActionDescription } from './steered-action';
import { applicationProtocolOf } from './target-group';
import { IFleet, LoadBalancerKind, WeightedFleet } from './types';
import { WeightController, WeightControllerOptions } from './weight-controller';
import {
  checkGroupStickiness,
  checkInteger,
  checkListenerProtocol,
  checkRuleConditions,
  checkStickinessCombination,
  checkTargetProtocol,
  checkWeightedFleets,
  aProtocol,
  fail,
  withPath,
} from './validation';

/** Group stickiness for one forward action. */
export interface GroupStickinessOptions {
  /**
   * ALB only: how long a client keeps going to the same target group (1 second to 7 days).
   *
   * @default - no group stickiness
   */
  readonly groupStickinessDuration?: Duration;

  /**
   * NLB: keep each client on the same target group (NLB group stickiness has no duration).
   * On an ALB, true needs `groupStickinessDuration`.
   *
   * @default false
   */
  readonly groupStickiness?: boolean;
}

/** A path or host rule with its own weighted forward action (ALB only). */
export interface WeightedRuleOptions extends GroupStickinessOptions {
  /** The rule's priority, 1–50000; lower is evaluated first. Unique per listener. */
  readonly priority: number;

  /**
   * Path patterns, e.g. "/api/*". The rule matches when any matches (and a host matches).
   *
   * @default - no path condition
   */
  readonly pathPatterns?: string[];

  /**
   * Host headers, e.g. "api.example.com". The rule matches when any matches.
   *
   * @default - no host condition
   */
  readonly hostHeaders?: string[];

  /** 1 to 5 fleets and their weights. */
  readonly fleets: WeightedFleet[];
}

export interface WeightedLoadBalancerProps extends GroupStickinessOptions {
  /** An Application or a Network Load Balancer. */
  readonly loadBalancerKind: LoadBalancerKind;

  /**
   * The VPC to place the load balancer in.
   *
   * @default - a new VPC over two Availability Zones, with flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets the load balancer's nodes go in.
   *
   * @default - public subnets when internet-facing, else private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Whether the load balancer takes traffic from the internet.
   *
   * @default true
   */
  readonly internetFacing?: boolean;

  /**
   * The listener's protocol: HTTP or HTTPS on an ALB; TCP, TLS, UDP or TCP_UDP on an NLB.
   *
   * @default - HTTP on an ALB, TCP on an NLB
   */
  readonly protocol?: elbv2.Protocol;

  /**
   * The listener's port.
   *
   * @default - 443 for HTTPS and TLS, else 80
   */
  readonly port?: number;

  /**
   * Certificates for an HTTPS or TLS listener (required there, refused elsewhere).
   *
   * @default - none
   */
  readonly certificates?: elbv2.IListenerCertificate[];

  /**
   * The TLS policy of an HTTPS or TLS listener.
   *
   * @default - aws-cdk-lib's default policy
   */
  readonly sslPolicy?: elbv2.SslPolicy;

  /**
   * On an HTTPS ALB, also listen on port 80 and redirect to HTTPS.
   *
   * @default true
   */
  readonly redirectHttpToHttps?: boolean;

  /**
   * 1 to 5 fleets and their weights for the listener's default action. May instead be given
   * later with `forwardTo()`, e.g. when the fleets need this construct's new VPC.
   *
   * @default - none yet: call `forwardTo()`
   */
  readonly fleets?: WeightedFleet[];

  /**
   * Whether CloudFormation and the console refuse to delete the load balancer.
   *
   * @default false
   */
  readonly deletionProtection?: boolean;

  /**
   * Where access logs go. An NLB writes access logs only for TLS listeners.
   *
   * @default - a new bucket with S3-managed encryption, TLS enforced, public access blocked
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * The key prefix of the access logs.
   *
   * @default - no prefix
   */
  readonly accessLogsPrefix?: string;

  /**
   * ALB: drop HTTP headers whose names are not valid.
   *
   * @default true
   */
  readonly dropInvalidHeaderFields?: boolean;

  /**
   * The load balancer's name.
   *
   * @default - a name CloudFormation generates
   */
  readonly loadBalancerName?: string;

  /**
   * The prefix of the ids `steeredActions()` gives: `PREFIX-default` and `PREFIX-RULEID`.
   *
   * @default - this construct's id
   */
  readonly actionIdPrefix?: string;

  /**
   * Deploys a WeightController that steers the default action and every rule, including rules
   * added later, with these options.
   *
   * @default - no controller: the weights stay as declared
   */
  readonly controller?: WeightControllerOptions;
}

interface BuiltAction {
  readonly id: string;
  readonly listenerArn: string;
  readonly ruleArn?: string;
  readonly fleets: readonly WeightedFleet[];
}

/** ELB lets a target group serve one load balancer; this remembers which. */
const LOAD_BALANCER_OF_FLEET = new WeakMap<IFleet, WeightedLoadBalancer>();

const ACTION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * An Application or Network Load Balancer with one listener whose forward action spreads traffic
 * over 1 to 5 fleets by integer weights, and on an ALB, path and host rules with weighted sets
 * of their own. Fleets accept traffic only from the load balancer's security group; access logs
 * go to an encrypted bucket that enforces TLS.
 *
 * A weight controller steers the weights after deploy: it takes `steeredActions()`, which names
 * every weighted action with its listener or rule ARN and each target group's CloudWatch
 * dimensions. That is the one seam between this construct and a controller: a `controller`
 * property can call `steeredActions()` once the default action and the rules are in place.
 *
 * @example
 * const web = new WeightedLoadBalancer(this, 'Web', {
 *   loadBalancerKind: LoadBalancerKind.APPLICATION,
 *   vpc,
 *   fleets: [
 *     { fleet: onDemand, weight: 80 },
 *     { fleet: spot, weight: 20 },
 *   ],
 * });
 */
export class WeightedLoadBalancer extends Construct {
  public readonly loadBalancerKind: LoadBalancerKind;
  public readonly vpc: ec2.IVpc;

  /** The load balancer, when `loadBalancerKind` is APPLICATION. */
  public readonly applicationLoadBalancer?: elbv2.ApplicationLoadBalancer;

  /** The load balancer, when `loadBalancerKind` is NETWORK. */
  public readonly networkLoadBalancer?: elbv2.NetworkLoadBalancer;

  /** The listener, when `loadBalancerKind` is APPLICATION. */
  public readonly applicationListener?: elbv2.ApplicationListener;

  /** The listener, when `loadBalancerKind` is NETWORK. */
  public readonly networkListener?: elbv2.NetworkListener;

  public readonly loadBalancerArn: string;
  public readonly loadBalancerDnsName: string;

  /** The `LoadBalancer` CloudWatch dimension value: `app/NAME/ID` or `net/NAME/ID`. */
  public readonly loadBalancerFullName: string;

  public readonly listenerArn: string;
  public readonly listenerProtocol: elbv2.Protocol;
  public readonly connections: ec2.Connections;
  public readonly accessLogsBucket: s3.IBucket;

  /** The controller steering the weights, when `controller` was set. */
  public readonly controller?: WeightController;

  private readonly actionIdPrefix: string;
  private readonly stickiness: GroupStickinessOptions;
  private defaultAction?: BuiltAction;
  private readonly ruleActions: BuiltAction[] = [];
  private readonly rulePriorities = new Map<number, string>();

  constructor(scope: Construct, id: string, props: WeightedLoadBalancerProps) {
    super(scope, id);
    const kind = props.loadBalancerKind;
    const application = kind === LoadBalancerKind.APPLICATION;
    const protocol = props.protocol ?? (application ? elbv2.Protocol.HTTP : elbv2.Protocol.TCP);
    const secure = protocol === elbv2.Protocol.HTTPS || protocol === elbv2.Protocol.TLS;
    const port = props.port ?? (secure ? 443 : 80);

    withPath(this, () => {
      checkListenerProtocol(kind, protocol, props.certificates?.length ?? 0);
      checkInteger('port', props.port, 1, 65535, 'a port');
      const defaultActionId = `${props.actionIdPrefix ?? id}-default`;
      if (!ACTION_ID.test(defaultActionId)) {
        fail(
          `actionIdPrefix is "${props.actionIdPrefix ?? id}" (from the construct id when unset); ` +
            `action ids hold letters, digits, ".", "_" and "-" (at most 64)`,
        );
      }
      checkGroupStickiness('', kind, props.groupStickinessDuration, props.groupStickiness);
      if (props.redirectHttpToHttps === true && protocol !== elbv2.Protocol.HTTPS) {
        fail(
          `redirectHttpToHttps is true on ${aProtocol(protocol)} listener; it needs an HTTPS ALB listener`,
        );
      }
      if (props.dropInvalidHeaderFields !== undefined && !application) {
        fail(
          `dropInvalidHeaderFields is ${props.dropInvalidHeaderFields}; only an ALB parses HTTP headers`,
        );
      }
    });

    this.loadBalancerKind = kind;
    this.listenerProtocol = protocol;
    this.actionIdPrefix = props.actionIdPrefix ?? id;
    this.stickiness = props;
    this.vpc = props.vpc ?? this.newVpc();

    const common = {
      vpc: this.vpc,
      vpcSubnets: props.vpcSubnets,
      internetFacing: props.internetFacing ?? true,
      deletionProtection: props.deletionProtection ?? false,
      loadBalancerName: props.loadBalancerName,
    };

    // An internal load balancer admits its VPC only; aws-cdk-lib's `open` would admit 0.0.0.0/0.
    const clients = common.internetFacing
      ? ec2.Peer.anyIpv4()
      : ec2.Peer.ipv4(this.vpc.vpcCidrBlock);

    if (application) {
      const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
        ...common,
        dropInvalidHeaderFields: props.dropInvalidHeaderFields ?? true,
      });
      this.applicationListener = alb.addListener('Listener', {
        protocol: applicationProtocolOf(protocol),
        port,
        certificates: props.certificates,
        sslPolicy: props.sslPolicy,
        open: false,
      });
      alb.connections.allowFrom(clients, ec2.Port.tcp(port), `Clients to the ${protocol} listener`);
      if (protocol === elbv2.Protocol.HTTPS && (props.redirectHttpToHttps ?? true)) {
        alb.addRedirect({ sourcePort: 80, targetPort: port, open: false });
        alb.connections.allowFrom(clients, ec2.Port.tcp(80), 'Clients to the HTTPS redirect');
      }
      this.applicationLoadBalancer = alb;
    } else {
      // Made here so fleets admit only this group whatever the feature flags say.
      const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: this.vpc,
        description: `Network Load Balancer ${id}: clients in, fleets out`,
        allowAllOutbound: false,
      });
      const nlb = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
        ...common,
        securityGroups: [securityGroup],
      });
      this.networkListener = nlb.addListener('Listener', {
        protocol,
        port,
        certificates: props.certificates,
        sslPolicy: props.sslPolicy,
      });
      for (const allowed of portsOf(protocol, port)) {
        nlb.connections.allowFrom(clients, allowed, `Clients to the ${protocol} listener`);
      }
      this.networkLoadBalancer = nlb;
    }

    const lb = (this.applicationLoadBalancer ?? this.networkLoadBalancer)!;
    this.loadBalancerArn = lb.loadBalancerArn;
    this.loadBalancerDnsName = lb.loadBalancerDnsName;
    this.loadBalancerFullName = lb.loadBalancerFullName;
    this.connections = lb.connections;
    this.listenerArn = (this.applicationListener ?? this.networkListener)!.listenerArn;

    if (common.internetFacing) {
      Validations.of(lb.connections.securityGroups[0].node.defaultChild!).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'An internet-facing load balancer admits any client on its listener port only.',
      });
    }

    this.accessLogsBucket = props.accessLogsBucket ?? this.newAccessLogsBucket();
    lb.logAccessLogs(this.accessLogsBucket, props.accessLogsPrefix);

    if (props.fleets) this.forwardTo(props.fleets);
    if (props.controller) {
      this.controller = new WeightController(this, 'Controller', {
        ...props.controller,
        actions: this.steeredActions(),
      });
    }
    this.node.addValidation({
      validate: () =>
        this.defaultAction
          ? []
          : ['the listener has no default action: pass fleets or call forwardTo()'],
    });
  }

  /**
   * Sets the listener's default action: forward to 1 to 5 fleets by weight. Call it once,
   * unless `fleets` was passed.
   */
  public forwardTo(fleets: WeightedFleet[]): void {
    withPath(this, () => {
      if (this.defaultAction) {
        fail('forwardTo() was called twice; the listener has one default action');
      }
      this.checkFleets('fleets', fleets, this.stickiness);
    });

    if (this.applicationListener) {
      this.applicationListener.addAction('Default', {
        action: this.albAction(fleets, this.stickiness),
      });
    } else {
      this.networkListener!.addAction('Default', {
        action: elbv2.NetworkListenerAction.weightedForward(
          fleets.map((entry) => ({
            targetGroup: networkTargetGroupOf(entry.fleet),
            weight: entry.weight,
          })),
        ),
      });
      // aws-cdk-lib's NLB action can only render a DurationSeconds, which NLB rejects.
      if (this.stickiness.groupStickiness) {
        const listener = this.networkListener!.node.defaultChild as elbv2.CfnListener;
        listener.addPropertyOverride('DefaultActions.0.ForwardConfig.TargetGroupStickinessConfig', {
          Enabled: true,
        });
      }
    }

    this.allowFleetsIn(fleets);
    this.defaultAction = {
      id: `${this.actionIdPrefix}-default`,
      listenerArn: this.listenerArn,
      fleets,
    };
    this.controller?.addAction(this.describe(this.defaultAction));
  }

  /** Adds a path or host rule with its own weighted forward action (ALB only). */
  public addWeightedRule(id: string, options: WeightedRuleOptions): elbv2.ApplicationListenerRule {
    const actionId = `${this.actionIdPrefix}-${id}`;
    const property = `rules.${id}`;
    const pathPatterns = options.pathPatterns ?? [];
    const hostHeaders = options.hostHeaders ?? [];

    withPath(this, () => {
      if (!this.applicationListener) {
        fail(
          `${property} is a listener rule; path and host rules need an application load balancer`,
        );
      }
      if (!ACTION_ID.test(actionId)) {
        fail(
          `${property} makes the action id "${actionId}"; an id holds letters, digits, ".", "_" and "-" (at most 64)`,
        );
      }
      checkRuleConditions(property, options.priority, pathPatterns, hostHeaders);
      const clash = this.rulePriorities.get(options.priority);
      if (clash !== undefined) {
        fail(
          `${property}.priority is ${options.priority}; rule ${clash} has it already and priorities are unique`,
        );
      }
      checkGroupStickiness(
        property,
        this.loadBalancerKind,
        options.groupStickinessDuration,
        options.groupStickiness,
      );
      this.checkFleets(`${property}.fleets`, options.fleets, options);
    });
    this.rulePriorities.set(options.priority, id);

    const conditions = [
      ...(pathPatterns.length > 0 ? [elbv2.ListenerCondition.pathPatterns(pathPatterns)] : []),
      ...(hostHeaders.length > 0 ? [elbv2.ListenerCondition.hostHeaders(hostHeaders)] : []),
    ];
    const rule = new elbv2.ApplicationListenerRule(this, `${id}Rule`, {
      listener: this.applicationListener!,
      priority: options.priority,
      conditions,
      action: this.albAction(options.fleets, options),
    });

    this.allowFleetsIn(options.fleets);
    const ruleAction = {
      id: actionId,
      listenerArn: this.listenerArn,
      ruleArn: rule.listenerRuleArn,
      fleets: options.fleets,
    };
    this.ruleActions.push(ruleAction);
    this.controller?.addAction(this.describe(ruleAction));
    return rule;
  }

  /**
   * Every weighted forward action, for a weight controller: the default action first, then the
   * rules in the order they were added.
   */
  public steeredActions(): SteeredActionDescription[] {
    const actions = this.defaultAction
      ? [this.defaultAction, ...this.ruleActions]
      : this.ruleActions;
    return actions.map((action) => this.describe(action));
  }

  private describe(action: BuiltAction): SteeredActionDescription {
    return {
      id: action.id,
      loadBalancerKind: this.loadBalancerKind,
      listenerArn: action.listenerArn,
      ruleArn: action.ruleArn,
      targetGroups: action.fleets.map((entry) => ({
        targetGroupArn: entry.fleet.targetGroupArn,
        label: entry.fleet.label,
        loadBalancerDimension: this.loadBalancerFullName,
        targetGroupDimension: entry.fleet.targetGroupFullName,
      })),
      templateWeights: action.fleets.map((entry) => entry.weight),
    };
  }

  private albAction(fleets: readonly WeightedFleet[], stickiness: GroupStickinessOptions) {
    return elbv2.ListenerAction.weightedForward(
      fleets.map((entry) => ({
        targetGroup: applicationTargetGroupOf(entry.fleet),
        weight: entry.weight,
      })),
      { stickinessDuration: stickiness.groupStickinessDuration },
    );
  }

  private checkFleets(
    property: string,
    fleets: readonly WeightedFleet[],
    stickiness: GroupStickinessOptions,
  ): void {
    checkWeightedFleets(property, fleets, this.loadBalancerKind);
    checkStickinessCombination(property, fleets, stickiness.groupStickinessDuration);
    fleets.forEach((entry, index) => {
      checkTargetProtocol(
        `${property}[${index}].fleet.targetProtocol`,
        this.loadBalancerKind,
        this.listenerProtocol,
        entry.fleet.targetProtocol,
      );
      const owner = LOAD_BALANCER_OF_FLEET.get(entry.fleet);
      if (owner !== undefined && owner !== this) {
        fail(
          `${property}[${index}].fleet "${entry.fleet.label}" is behind ${owner.node.path} ` +
            `already; a target group serves one load balancer`,
        );
      }
    });
  }

  /** Each fleet admits traffic from this load balancer's security group only. */
  private allowFleetsIn(fleets: readonly WeightedFleet[]): void {
    for (const { fleet } of fleets) {
      LOAD_BALANCER_OF_FLEET.set(fleet, this);
      if (!fleet.connections || fleet.targetPort === undefined) continue;
      const protocol = fleet.targetProtocol ?? elbv2.Protocol.TCP;
      for (const allowed of portsOf(protocol, fleet.targetPort)) {
        fleet.connections.allowFrom(
          this.connections,
          allowed,
          `From load balancer ${this.node.id}`,
        );
      }
    }
  }

  private newVpc(): ec2.IVpc {
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    vpc.addFlowLog('FlowLog');
    return vpc;
  }

  private newAccessLogsBucket(): s3.IBucket {
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket holds access logs; logging its own access would need a bucket per bucket.',
    });
    return bucket;
  }
}

function portsOf(protocol: elbv2.Protocol, port: number): ec2.Port[] {
  if (protocol === elbv2.Protocol.UDP) return [ec2.Port.udp(port)];
  if (protocol === elbv2.Protocol.TCP_UDP) return [ec2.Port.tcp(port), ec2.Port.udp(port)];
  return [ec2.Port.tcp(port)];
}

function applicationTargetGroupOf(fleet: IFleet): elbv2.IApplicationTargetGroup {
  return (
    fleet.applicationTargetGroup ?? fail(`fleet "${fleet.label}" has no application target group`)
  );
}

function networkTargetGroupOf(fleet: IFleet): elbv2.INetworkTargetGroup {
  return fleet.networkTargetGroup ?? fail(`fleet "${fleet.label}" has no network target group`);
}
