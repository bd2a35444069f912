/**
 * The controller's memory between runs, one JSON SSM parameter: per action the weights it last
 * wrote, the policy's state, a manual override and an outside change it is respecting. A fresh
 * Lambda instance reads it back, so overrides and drift detection survive cold starts.
 */
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import { AwsCallError, callAws, defaultRetryPolicy, RetryPolicy } from './aws-call';
import { JsonValue, MAX_WEIGHT } from './contract';

const weightsSchema = z.array(z.int().check(z.gte(0), z.lte(MAX_WEIGHT)));

const writtenSchema = z.object({
  weights: weightsSchema,
  /** The configuration's target groups when written; weights for other groups do not apply. */
  targetGroupArns: z.array(z.string()),
  atMs: z.number(),
});
export type WrittenWeights = z.infer<typeof writtenSchema>;

const overrideSchema = z.object({
  kind: z.enum(['set-weights', 'freeze']),
  /** For set-weights: the weights to hold, in configuration order. */
  weights: z.optional(weightsSchema),
  targetGroupArns: z.optional(z.array(z.string())),
  setAtMs: z.number(),
  untilMs: z.number(),
});
export type Override = z.infer<typeof overrideSchema>;

const outsideChangeSchema = z.object({
  /** The live weights someone else set, in configuration order. */
  weights: weightsSchema,
  seenAtMs: z.number(),
  untilMs: z.number(),
});
export type OutsideChange = z.infer<typeof outsideChangeSchema>;

const actionStateSchema = z.object({
  lastWritten: z.optional(writtenSchema),
  /** Saved just before a write, so a run that dies after writing is not mistaken for drift. */
  pendingWrite: z.optional(writtenSchema),
  policyState: z.optional(z.json()),
  override: z.optional(overrideSchema),
  outsideChange: z.optional(outsideChangeSchema),
  /** Set by resume until a run consumes it: live weights that differ then are the baseline. */
  resumedAtMs: z.optional(z.number()),
});
export type ActionState = z.infer<typeof actionStateSchema>;

export const controllerStateSchema = z.object({
  version: z.literal(1),
  actions: z.record(z.string(), actionStateSchema),
});
export type ControllerState = z.infer<typeof controllerStateSchema>;

export function emptyState(): ControllerState {
  return { version: 1, actions: {} };
}

/** The state kept in `parameterName`, or an empty one when the parameter does not exist yet. */
export async function loadState(
  ssm: SSMClient,
  parameterName: string,
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<ControllerState> {
  let text: string | undefined;
  try {
    const out = await callAws(
      'GetParameter',
      () => ssm.send(new GetParameterCommand({ Name: parameterName })),
      retry,
    );
    text = out.Parameter?.Value;
  } catch (error) {
    if (error instanceof AwsCallError && error.errorName === 'ParameterNotFound')
      return emptyState();
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    throw new Error(
      `state parameter ${parameterName} does not hold JSON; delete it to start afresh`,
    );
  }
  const parsed = controllerStateSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `state parameter ${parameterName} is not a controller state (${z.prettifyError(parsed.error).replace(/\n/g, ' ')}); delete it to start afresh`,
    );
  }
  return parsed.data;
}

export async function saveState(
  ssm: SSMClient,
  parameterName: string,
  state: ControllerState,
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<void> {
  await callAws(
    'PutParameter',
    () =>
      ssm.send(
        new PutParameterCommand({
          Name: parameterName,
          Value: JSON.stringify(state),
          Type: 'String',
          Overwrite: true,
          // Standard parameters stop at 4 KB; intelligent tiering goes advanced only when needed.
          Tier: 'Intelligent-Tiering',
        }),
      ),
    retry,
  );
}

/** The policy state to hand back, typed as the contract's JsonValue. */
export function policyStateOf(state: ActionState | undefined): JsonValue | undefined {
  return state?.policyState as JsonValue | undefined;
}
