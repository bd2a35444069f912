import type { SteeredAction } from '../lambda/contract';
import { LoadBalancerKind } from './types';

/** One target group of a steered action, with what CloudWatch calls it. */
export interface SteeredTargetGroupDescription {
  /** The target group's ARN. */
  readonly targetGroupArn: string;

  /** The fleet's label. */
  readonly label: string;

  /** The `LoadBalancer` dimension value: `app/NAME/ID` or `net/NAME/ID`. */
  readonly loadBalancerDimension: string;

  /** The `TargetGroup` dimension value: `targetgroup/NAME/ID`. */
  readonly targetGroupDimension: string;
}

/**
 * A weighted forward action that a controller can steer: a listener's default action, or a
 * listener rule's action. Values may be tokens that resolve at deploy time.
 */
export interface SteeredActionDescription {
  /** A stable id for the controller's state, logs and metrics, e.g. "web-default". */
  readonly id: string;

  /** The kind of load balancer the listener belongs to. */
  readonly loadBalancerKind: LoadBalancerKind;

  /** The listener's ARN. */
  readonly listenerArn: string;

  /**
   * The rule's ARN.
   *
   * @default - the action is the listener's default action
   */
  readonly ruleArn?: string;

  /** The action's target groups, in the order the template lists them. */
  readonly targetGroups: SteeredTargetGroupDescription[];

  /** The weights the template declares, in `targetGroups` order. */
  readonly templateWeights: number[];
}

/** The controller contract's shape of a steered action. */
export function toSteeredAction(description: SteeredActionDescription): SteeredAction {
  return {
    id: description.id,
    loadBalancerType: description.loadBalancerKind,
    listenerArn: description.listenerArn,
    ...(description.ruleArn === undefined ? {} : { ruleArn: description.ruleArn }),
    targetGroups: description.targetGroups.map((group) => ({
      targetGroupArn: group.targetGroupArn,
      label: group.label,
      dimensions: {
        LoadBalancer: group.loadBalancerDimension,
        TargetGroup: group.targetGroupDimension,
      },
      customMetrics: [],
    })),
    templateWeights: [...description.templateWeights],
  };
}
