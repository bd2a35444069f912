/**
 * The simplest built-in policy: each target group's weight is proportional to its healthy host
 * count now, so equal hosts get equal traffic and a group losing hosts loses traffic at once.
 */
import * as z from 'zod/mini';
import { PolicyDefinition } from '../contract';

export const healthyHostsParameters = z.strictObject({
  /** A group with fewer healthy hosts than this is drained, while another group has enough. */
  minHealthyHosts: z._default(z.int().check(z.gte(1), z.lte(1000)), 1),
});
export type HealthyHostsParameters = z.infer<typeof healthyHostsParameters>;

export const healthyHostsPolicy: PolicyDefinition<HealthyHostsParameters> = {
  name: 'healthy-hosts',
  parameters: healthyHostsParameters,
  decide: ({ targetGroups, parameters }) => {
    const hosts = targetGroups.map((g) => g.healthyHostCount);
    const enough = hosts.map((h) => h >= parameters.minHealthyHosts);
    const state = null;

    if (!hosts.some((h) => h > 0)) {
      return { weights: hosts, reason: 'no target group has a healthy host', state, hold: true };
    }
    if (!enough.some(Boolean)) {
      return {
        weights: hosts,
        reason: `no group has ${parameters.minHealthyHosts} healthy hosts; weights follow healthy hosts`,
        state,
      };
    }

    const drain = targetGroups
      .filter((g, i) => !enough[i] && g.healthyHostCount > 0)
      .map((g) => g.targetGroupArn);
    const weights = hosts.map((h, i) => (enough[i] ? h : 0));
    const split = targetGroups.map((g, i) => `${g.label} ${weights[i]}`).join(', ');
    return { weights, reason: `weights follow healthy hosts: ${split}`, state, drain };
  },
};
