/** The built-in policies by name, and the lookup the handler uses to pick one. */
import { PolicyDefinition } from '../contract';
import { adaptivePolicy } from './adaptive';
import { canaryPolicy } from './canary';
import { capacityPolicy } from './capacity';
import { failoverPolicy } from './failover';
import { healthyHostsPolicy } from './healthy-hosts';

// Each policy has its own parameter type; decide() parses parameters with the policy's own schema.
export const builtInPolicies: Record<string, PolicyDefinition<any>> = {
  [healthyHostsPolicy.name]: healthyHostsPolicy,
  [adaptivePolicy.name]: adaptivePolicy,
  [canaryPolicy.name]: canaryPolicy,
  [capacityPolicy.name]: capacityPolicy,
  [failoverPolicy.name]: failoverPolicy,
};

/** The policy called `name` among `policies` (the built-in ones by default). */
export function resolvePolicy(
  name: string,
  policies: Readonly<Record<string, PolicyDefinition<any>>> = builtInPolicies,
): PolicyDefinition<any> {
  const policy = Object.prototype.hasOwnProperty.call(policies, name) ? policies[name] : undefined;
  if (policy) return policy;
  const known = Object.keys(policies).sort().join(', ');
  throw new Error(`policy.name is "${name}"; it must name a known policy: ${known}`);
}
