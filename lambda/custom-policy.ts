/**
 * How a custom policy reaches the controller: the WeightController construct bundles
 * `custom-entry.ts` with esbuild at synth, aliasing CUSTOM_POLICY_MODULE to the user's policy
 * file, and the entry turns what that module exports into a policy definition here.
 */
import * as z from 'zod/mini';
import { PolicyDefinition, PolicyFunction } from './contract';

/** The module name the construct aliases to the user's policy file. */
export const CUSTOM_POLICY_MODULE = 'cdk-weighted-balancer-custom-policy';
/** The policy name the configuration uses for a custom policy. */
export const CUSTOM_POLICY_NAME = 'custom';

/**
 * The policy a user's module exports: `policy` (a PolicyDefinition), or a `decide` function whose
 * parameters are then passed through unchecked. A default export of either works too.
 */
export function policyFromModule(exported: unknown): PolicyDefinition<any> {
  const candidates = [exported, (exported as { default?: unknown } | undefined)?.default];
  for (const candidate of candidates) {
    if (candidate === null || typeof candidate !== 'object') continue;
    const { policy, decide } = candidate as { policy?: unknown; decide?: unknown };
    if (isDefinition(policy)) return { ...policy, name: CUSTOM_POLICY_NAME };
    if (isDefinition(candidate)) return { ...candidate, name: CUSTOM_POLICY_NAME };
    if (typeof decide === 'function') {
      return {
        name: CUSTOM_POLICY_NAME,
        parameters: z.record(z.string(), z.unknown()),
        decide: decide as PolicyFunction,
      };
    }
  }
  throw new Error(
    'the custom policy module exports neither `policy` (a PolicyDefinition) nor a `decide` function',
  );
}

function isDefinition(value: unknown): value is PolicyDefinition<any> {
  if (value === null || typeof value !== 'object') return false;
  const definition = value as Partial<PolicyDefinition<unknown>>;
  // Any zod schema, classic or mini, carries the core's `_zod` internals that decide() parses with.
  return typeof definition.decide === 'function' && typeof definition.parameters?._zod === 'object';
}
