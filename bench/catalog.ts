/**
 * What the benchmark runs: every built-in policy and every baseline, by the name the results use,
 * and the parameters each policy gets in each scenario.
 */
import { builtInPolicies } from '../lambda/policies';
import {
  anomalyWeighting,
  delayedOracle,
  oracle,
  policyController,
  staticCapacity,
  staticEqual,
} from './sim/controllers';
import { Scenario } from './sim/scenarios';
import { Controller } from './sim/simulate';

/** The built-in policies the benchmark judges, in table order. */
export const BENCH_POLICIES = ['adaptive', 'capacity', 'canary', 'failover'] as const;
export const BASELINES = ['B0', 'B1', 'B2', 'B2d', 'B3'] as const;
export const CONTROLLER_NAMES: readonly string[] = [...BENCH_POLICIES, ...BASELINES];

/**
 * The canary policy delivers the scenario's canary group; where a scenario has none, it treats
 * the spot group C as a canary against A, so its rows show what a delivery policy costs there.
 */
export function canaryParameters(scenario: Scenario): Record<string, unknown> {
  const spec = scenario.canary ?? { canaryLabel: 'C', baselineLabel: 'A' };
  return { canaryTargetGroup: spec.canaryLabel, baselineTargetGroup: spec.baselineLabel };
}

export function createController(name: string, scenario: Scenario): Controller {
  switch (name) {
    case 'B0':
      return staticEqual();
    case 'B1':
      return staticCapacity();
    case 'B2':
      return oracle();
    case 'B2d':
      return delayedOracle();
    case 'B3':
      return anomalyWeighting();
    default: {
      const policy = builtInPolicies[name];
      if (!policy) {
        throw new Error(
          `controller is "${name}"; it must be a built-in policy or one of ${BASELINES.join(', ')}`,
        );
      }
      return policyController(policy, name === 'canary' ? canaryParameters(scenario) : {});
    }
  }
}
