/**
 * The bundle entry for a controller with a custom policy: the same handler as the built-in one,
 * with the user's policy added under the name "custom", so the same guardrails apply to it.
 * The WeightController construct bundles this file at synth; see `custom-policy.ts`.
 */
import { createHandler } from './handler';
import { CUSTOM_POLICY_NAME, policyFromModule } from './custom-policy';

// esbuild replaces this module name with the user's policy file; it exists in no package.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const userModule: unknown = require('cdk-weighted-balancer-custom-policy');

export const handler = createHandler({
  policies: { [CUSTOM_POLICY_NAME]: policyFromModule(userModule) },
});
