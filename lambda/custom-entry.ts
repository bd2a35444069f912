/**
 * The bundle entry for a controller with a custom policy: the same handler as the built-in one,
 * with the user's policy added under the name "custom", so the same guardrails apply to it.
 * The WeightController construct bundles this file at synth; see `custom-policy.ts`.
 */
import { createHandler as createBuiltInHandler, ControllerHandler, HandlerOptions } from './handler';
import { CUSTOM_POLICY_NAME, policyFromModule } from './custom-policy';

// esbuild replaces this module name with the user's policy file; it exists in no package.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const userModule: unknown = require('cdk-weighted-balancer-custom-policy');
const customPolicy = policyFromModule(userModule);

/**
 * The handler factory with the custom policy added, exported like the pre-bundled handler's, so a
 * caller that loads either bundle (the playground) can pass its own clock the same way.
 */
export function createHandler(options: HandlerOptions = {}): ControllerHandler {
  return createBuiltInHandler({
    ...options,
    policies: { ...options.policies, [CUSTOM_POLICY_NAME]: customPolicy },
  });
}

export const handler = createHandler();
