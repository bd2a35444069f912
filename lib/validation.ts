/**
 * Synth-time checks of the limits AWS documents for what these constructs emit. Each check throws
 * one line naming the property, the value received and the rule. Unresolved tokens are skipped:
 * their values are only known at deploy time.
 *
 * aws-cdk-lib already checks, correctly and at synth time, the target group name (length, edge
 * hyphens, characters): that is left to it. It checks little of an ALB health check (protocol,
 * timeout below interval) and its NLB checks compare tokens as numbers, so health checks are
 * checked here for both. aws-cdk-lib 2.276 still rejects a token NLB threshold count at synth.
 */
import { Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { MAX_TARGET_GROUPS_PER_ACTION, MAX_WEIGHT } from '../lambda/contract';
import { LoadBalancerKind, WeightedFleet } from './types';

/** Seven days, the longest target group stickiness an ALB forward action accepts. */
const MAX_GROUP_STICKINESS_SECONDS = 604_800;

/** Throws a validation error; the message is one line so it can be grepped. */
export function fail(message: string): never {
  throw new Error(message);
}

/** Runs checks (or a step that checks), prefixing a failure with the construct's path. */
export function withPath<T>(scope: IConstruct, checks: () => T): T {
  try {
    return checks();
  } catch (error) {
    throw new Error(`${scope.node.path}: ${(error as Error).message}`);
  }
}

/** "an HTTP", "a TCP": the article a protocol's name takes when read aloud. */
export function aProtocol(protocol: elbv2.Protocol): string {
  return protocol.startsWith('HTTP') ? `an ${protocol}` : `a ${protocol}`;
}

/** "an application load balancer" or "a network load balancer". */
export function aLoadBalancer(kind: LoadBalancerKind): string {
  return kind === LoadBalancerKind.APPLICATION
    ? 'an application load balancer'
    : 'a network load balancer';
}

function isUnresolvedNumber(value: number | undefined): boolean {
  return value !== undefined && Token.isUnresolved(value);
}

/** An integer in [min, max], or an unresolved token. */
export function checkInteger(
  property: string,
  value: number | undefined,
  min: number,
  max: number,
  what = 'it',
): void {
  if (value === undefined || isUnresolvedNumber(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${property} is ${value}; ${what} must be an integer from ${min} to ${max}`);
  }
}

function secondsOf(duration: Duration | undefined): number | undefined {
  if (duration === undefined || duration.isUnresolved()) return undefined;
  return duration.toSeconds({ integral: false });
}

function checkSeconds(property: string, duration: Duration | undefined, min: number, max: number) {
  const seconds = secondsOf(duration);
  if (seconds === undefined) return;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    fail(
      `${property} is ${seconds} seconds; it must be a whole number of seconds from ${min} to ${max}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Weighted forward actions
// ---------------------------------------------------------------------------------------------

/**
 * A forward action holds 1 to 5 target groups, each once, with integer weights 0–999 that are
 * not all zero, all behind the same kind of load balancer as the listener.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupTuple.html
 */
export function checkWeightedFleets(
  property: string,
  fleets: readonly WeightedFleet[],
  kind: LoadBalancerKind,
): void {
  if (fleets.length < 1 || fleets.length > MAX_TARGET_GROUPS_PER_ACTION) {
    fail(
      `${property} holds ${fleets.length} fleets; a forward action holds 1 to ` +
        `${MAX_TARGET_GROUPS_PER_ACTION} target groups`,
    );
  }

  fleets.forEach((entry, index) => {
    checkInteger(`${property}[${index}].weight`, entry.weight, 0, MAX_WEIGHT, 'a weight');
    if (entry.fleet.loadBalancerKind !== kind) {
      fail(
        `${property}[${index}].fleet "${entry.fleet.label}" is for ${aLoadBalancer(entry.fleet.loadBalancerKind)}; ` +
          `this listener is on ${aLoadBalancer(kind)}`,
      );
    }
  });

  const weights = fleets.map((entry) => entry.weight);
  if (weights.every((weight) => !isUnresolvedNumber(weight) && weight === 0)) {
    fail(`${property} weights are all 0; at least one weight must be above 0`);
  }

  checkUnique(
    property,
    'fleet',
    fleets.map((entry) => entry.fleet.node.path),
  );
  checkUnique(
    property,
    'label',
    fleets.map((entry) => entry.fleet.label),
  );
}

function checkUnique(property: string, what: string, values: string[]): void {
  const seen = new Map<string, number>();
  values.forEach((value, index) => {
    const first = seen.get(value);
    if (first !== undefined) {
      fail(
        `${property}[${index}] repeats the ${what} of ${property}[${first}] ("${value}"); ` +
          `each ${what} appears once per forward action`,
      );
    }
    seen.set(value, index);
  });
}

/** A fleet's label: what the controller's logs, metrics and manual set-weights call it. */
export function checkLabel(property: string, label: string): void {
  if (Token.isUnresolved(label)) return;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(label)) {
    fail(
      `${property} is "${label}"; a label is 1 to 64 letters, digits, ".", "_" or "-", ` +
        `starting with a letter or digit`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Group stickiness
// ---------------------------------------------------------------------------------------------

/**
 * ALB group stickiness lasts 1 second to 7 days and needs its duration; NLB group stickiness has
 * no duration at all (its TargetGroupStickinessConfig takes only `Enabled`).
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-elasticloadbalancingv2-listener-targetgroupstickinessconfig.html
 */
export function checkGroupStickiness(
  property: string,
  kind: LoadBalancerKind,
  duration: Duration | undefined,
  enabled: boolean | undefined,
): void {
  const name = (key: string) => (property ? `${property}.${key}` : key);
  if (kind === LoadBalancerKind.NETWORK) {
    if (duration !== undefined) {
      fail(
        `${name('groupStickinessDuration')} is ${describeDuration(duration)}; NLB group ` +
          `stickiness has no duration: set groupStickiness to true instead`,
      );
    }
    return;
  }

  if (enabled === true && duration === undefined) {
    fail(
      `${name('groupStickiness')} is true without groupStickinessDuration; ALB group ` +
        `stickiness needs a duration from 1 second to 7 days`,
    );
  }
  if (enabled === false && duration !== undefined) {
    fail(
      `${name('groupStickiness')} is false but groupStickinessDuration is ` +
        `${describeDuration(duration)}; set one or the other`,
    );
  }
  checkSeconds(name('groupStickinessDuration'), duration, 1, MAX_GROUP_STICKINESS_SECONDS);
}

/** Target (cookie) stickiness is an ALB target group's; it lasts 1 second to 7 days. */
export function checkTargetStickiness(
  kind: LoadBalancerKind,
  duration: Duration | undefined,
): void {
  if (duration === undefined) return;
  if (kind !== LoadBalancerKind.APPLICATION) {
    fail(
      `targetStickinessDuration is ${describeDuration(duration)}; cookie stickiness needs an ` +
        `application load balancer`,
    );
  }
  checkSeconds('targetStickinessDuration', duration, 1, MAX_GROUP_STICKINESS_SECONDS);
}

/**
 * ELB refuses target stickiness on a target group behind a forward action over several target
 * groups unless that action has group stickiness.
 */
export function checkStickinessCombination(
  property: string,
  fleets: readonly WeightedFleet[],
  groupStickinessDuration: Duration | undefined,
): void {
  if (fleets.length < 2 || groupStickinessDuration !== undefined) return;
  const index = fleets.findIndex((entry) => entry.fleet.targetStickinessDuration !== undefined);
  if (index >= 0) {
    fail(
      `${property}[${index}].fleet "${fleets[index].fleet.label}" has targetStickinessDuration; ` +
        `with several target groups in one forward action, target stickiness needs group ` +
        `stickiness: set groupStickinessDuration`,
    );
  }
}

function describeDuration(duration: Duration): string {
  return duration.isUnresolved() ? 'a token' : `${duration.toSeconds({ integral: false })} seconds`;
}

// ---------------------------------------------------------------------------------------------
// Protocols
// ---------------------------------------------------------------------------------------------

const LISTENER_PROTOCOLS: Record<LoadBalancerKind, elbv2.Protocol[]> = {
  [LoadBalancerKind.APPLICATION]: [elbv2.Protocol.HTTP, elbv2.Protocol.HTTPS],
  [LoadBalancerKind.NETWORK]: [
    elbv2.Protocol.TCP,
    elbv2.Protocol.TLS,
    elbv2.Protocol.UDP,
    elbv2.Protocol.TCP_UDP,
  ],
};

/**
 * The target group protocols an NLB listener protocol can forward to.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-target-groups.html
 */
const NLB_TARGET_PROTOCOLS: Partial<Record<elbv2.Protocol, elbv2.Protocol[]>> = {
  [elbv2.Protocol.TCP]: [elbv2.Protocol.TCP, elbv2.Protocol.TCP_UDP],
  [elbv2.Protocol.TLS]: [elbv2.Protocol.TCP, elbv2.Protocol.TLS],
  [elbv2.Protocol.UDP]: [elbv2.Protocol.UDP, elbv2.Protocol.TCP_UDP],
  [elbv2.Protocol.TCP_UDP]: [elbv2.Protocol.TCP_UDP],
};

const SECURE_PROTOCOLS = [elbv2.Protocol.HTTPS, elbv2.Protocol.TLS];

export function checkListenerProtocol(
  kind: LoadBalancerKind,
  protocol: elbv2.Protocol,
  certificateCount: number,
): void {
  const allowed = LISTENER_PROTOCOLS[kind];
  if (!allowed.includes(protocol)) {
    fail(`protocol is ${protocol}; ${aLoadBalancer(kind)} listens on ${allowed.join(', ')}`);
  }

  const secure = SECURE_PROTOCOLS.includes(protocol);
  if (secure && certificateCount === 0) {
    fail(`certificates is empty; ${aProtocol(protocol)} listener needs at least one certificate`);
  }
  if (!secure && certificateCount > 0) {
    fail(
      `certificates holds ${certificateCount}; ${aProtocol(protocol)} listener takes no certificate ` +
        `(use ${kind === LoadBalancerKind.APPLICATION ? 'HTTPS' : 'TLS'})`,
    );
  }
}

/** The protocol a fleet's targets receive traffic with must suit the listener's. */
export function checkTargetProtocol(
  property: string,
  kind: LoadBalancerKind,
  listenerProtocol: elbv2.Protocol,
  targetProtocol: elbv2.Protocol | undefined,
): void {
  if (targetProtocol === undefined) return;
  const allowed =
    kind === LoadBalancerKind.APPLICATION
      ? LISTENER_PROTOCOLS[LoadBalancerKind.APPLICATION]
      : (NLB_TARGET_PROTOCOLS[listenerProtocol] ?? []);
  if (!allowed.includes(targetProtocol)) {
    fail(
      `${property} is ${targetProtocol}; ${aProtocol(listenerProtocol)} listener forwards to ` +
        `${allowed.join(' or ')} target groups`,
    );
  }
}

/** The protocols a fleet's target group may use behind each kind of load balancer. */
export function checkFleetTargetProtocol(kind: LoadBalancerKind, protocol: elbv2.Protocol): void {
  const allowed = LISTENER_PROTOCOLS[kind];
  if (!allowed.includes(protocol)) {
    fail(
      `targetProtocol is ${protocol}; a target group behind ${aLoadBalancer(kind)} uses ${allowed.join(', ')}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Health checks
// ---------------------------------------------------------------------------------------------

interface HealthCheckLimits {
  readonly protocols: elbv2.Protocol[];
  /** Whether the timeout may equal the interval (NLB) or must be below it (ALB). */
  readonly timeoutMayEqualInterval: boolean;
  /** The lowest and highest HTTP code a matcher may name. */
  readonly httpCodes: [number, number];
}

/**
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html
 */
const HEALTH_CHECK_LIMITS: Record<LoadBalancerKind, HealthCheckLimits> = {
  [LoadBalancerKind.APPLICATION]: {
    protocols: [elbv2.Protocol.HTTP, elbv2.Protocol.HTTPS],
    timeoutMayEqualInterval: false,
    httpCodes: [200, 499],
  },
  [LoadBalancerKind.NETWORK]: {
    protocols: [elbv2.Protocol.TCP, elbv2.Protocol.HTTP, elbv2.Protocol.HTTPS],
    timeoutMayEqualInterval: true,
    httpCodes: [200, 599],
  },
};

const HTTP_HEALTH_CHECK_PROTOCOLS = [elbv2.Protocol.HTTP, elbv2.Protocol.HTTPS];

/**
 * Health check settings for a target group behind the given kind of load balancer.
 *
 * @param targetProtocol the target group's protocol: an NLB health check without an explicit
 * protocol uses TCP for TCP, TLS, UDP and TCP_UDP target groups.
 */
export function checkHealthCheck(
  kind: LoadBalancerKind,
  healthCheck: elbv2.HealthCheck | undefined,
  targetProtocol: elbv2.Protocol,
): void {
  if (healthCheck === undefined) return;
  const limits = HEALTH_CHECK_LIMITS[kind];
  const lb = kind === LoadBalancerKind.APPLICATION ? 'an ALB' : 'an NLB';

  const protocol = healthCheck.protocol ?? defaultHealthCheckProtocol(kind, targetProtocol);
  if (!limits.protocols.includes(protocol)) {
    fail(
      `healthCheck.protocol is ${protocol}; ${lb} health check uses ${limits.protocols.join(', ')}`,
    );
  }

  checkSeconds('healthCheck.interval', healthCheck.interval, 5, 300);
  checkSeconds('healthCheck.timeout', healthCheck.timeout, 2, 120);
  checkTimeoutAgainstInterval(healthCheck, limits, lb);
  checkInteger('healthCheck.healthyThresholdCount', healthCheck.healthyThresholdCount, 2, 10);
  checkInteger('healthCheck.unhealthyThresholdCount', healthCheck.unhealthyThresholdCount, 2, 10);
  checkHealthCheckPort(healthCheck.port);

  const httpCheck = HTTP_HEALTH_CHECK_PROTOCOLS.includes(protocol);
  if (healthCheck.path !== undefined) {
    if (!httpCheck) {
      fail(
        `healthCheck.path is "${healthCheck.path}"; ${aProtocol(protocol)} health check has no path (use HTTP or HTTPS)`,
      );
    }
    checkHealthCheckPath(healthCheck.path);
  }
  if (healthCheck.healthyHttpCodes !== undefined) {
    if (!httpCheck) {
      fail(
        `healthCheck.healthyHttpCodes is "${healthCheck.healthyHttpCodes}"; ${aProtocol(protocol)} ` +
          `health check has no HTTP codes (use HTTP or HTTPS)`,
      );
    }
    checkHttpCodes(healthCheck.healthyHttpCodes, limits.httpCodes, lb);
  }
  if (healthCheck.healthyGrpcCodes !== undefined) {
    fail(
      `healthCheck.healthyGrpcCodes is "${healthCheck.healthyGrpcCodes}"; these constructs ` +
        `make HTTP target groups: use healthyHttpCodes`,
    );
  }
}

function defaultHealthCheckProtocol(kind: LoadBalancerKind, targetProtocol: elbv2.Protocol) {
  if (kind === LoadBalancerKind.APPLICATION) return targetProtocol;
  return HTTP_HEALTH_CHECK_PROTOCOLS.includes(targetProtocol) ? targetProtocol : elbv2.Protocol.TCP;
}

function checkTimeoutAgainstInterval(
  healthCheck: elbv2.HealthCheck,
  limits: HealthCheckLimits,
  lb: string,
) {
  const interval = secondsOf(healthCheck.interval);
  const timeout = secondsOf(healthCheck.timeout);
  if (interval === undefined || timeout === undefined) return;
  const tooLong = limits.timeoutMayEqualInterval ? timeout > interval : timeout >= interval;
  if (tooLong) {
    const rule = limits.timeoutMayEqualInterval ? 'at most' : 'less than';
    fail(
      `healthCheck.timeout is ${timeout} seconds; on ${lb} it must be ${rule} ` +
        `healthCheck.interval (${interval} seconds)`,
    );
  }
}

function checkHealthCheckPort(port: string | undefined): void {
  if (port === undefined || Token.isUnresolved(port) || port === 'traffic-port') return;
  const number = Number(port);
  if (!/^\d+$/.test(port) || number < 1 || number > 65535) {
    fail(`healthCheck.port is "${port}"; it must be "traffic-port" or a port from 1 to 65535`);
  }
}

function checkHealthCheckPath(path: string): void {
  if (Token.isUnresolved(path)) return;
  if (!path.startsWith('/') || path.length > 1024) {
    fail(`healthCheck.path is "${path}"; a path starts with "/" and has at most 1024 characters`);
  }
}

/** A matcher is codes and ranges separated by commas, e.g. "200,202" or "200-299". */
function checkHttpCodes(codes: string, [low, high]: [number, number], lb: string): void {
  if (Token.isUnresolved(codes)) return;
  const parts = codes.split(',');
  const valid = parts.every((part) => {
    const match = /^(\d{3})(?:-(\d{3}))?$/.exec(part.trim());
    if (!match) return false;
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    return from >= low && to <= high && from <= to;
  });
  if (!valid) {
    fail(
      `healthCheck.healthyHttpCodes is "${codes}"; on ${lb} it lists codes or ranges ` +
        `from ${low} to ${high}, e.g. "200,202" or "200-299"`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Listener rules (ALB)
// ---------------------------------------------------------------------------------------------

/** @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html */
const MAX_CONDITION_VALUES_PER_RULE = 5;
const MAX_CONDITION_VALUE_LENGTH = 128;

export function checkRuleConditions(
  property: string,
  priority: number,
  pathPatterns: readonly string[],
  hostHeaders: readonly string[],
): void {
  checkInteger(`${property}.priority`, priority, 1, 50_000, 'a rule priority');

  const count = pathPatterns.length + hostHeaders.length;
  if (count === 0) {
    fail(`${property} has no pathPatterns and no hostHeaders; a rule needs at least one condition`);
  }
  if (count > MAX_CONDITION_VALUES_PER_RULE) {
    fail(
      `${property} has ${count} condition values; a rule holds at most ` +
        `${MAX_CONDITION_VALUES_PER_RULE} path patterns and host headers together`,
    );
  }

  const values = [
    ...pathPatterns.map((value, index) => [`${property}.pathPatterns[${index}]`, value]),
    ...hostHeaders.map((value, index) => [`${property}.hostHeaders[${index}]`, value]),
  ];
  for (const [name, value] of values) {
    if (Token.isUnresolved(value)) continue;
    if (value.length === 0 || value.length > MAX_CONDITION_VALUE_LENGTH) {
      fail(
        `${name} is "${value}"; a condition value has 1 to ${MAX_CONDITION_VALUE_LENGTH} characters`,
      );
    }
  }
}
