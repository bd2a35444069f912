/**
 * Where the handler finds its configuration: the `CONTROLLER_CONFIG` environment variable (JSON of
 * the contract's ControllerConfig) or, when that would break Lambda's 4 KB environment limit, the
 * SSM parameter named by `CONTROLLER_CONFIG_PARAMETER`.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { $ZodError } from 'zod/v4/core';
import { callAws, defaultRetryPolicy, RetryPolicy } from './aws-call';
import { ControllerConfig, controllerConfigSchema } from './contract';

/** The environment variable holding the configuration JSON. */
export const CONFIG_ENV = 'CONTROLLER_CONFIG';
/** The environment variable naming the SSM parameter that holds the configuration JSON. */
export const CONFIG_PARAMETER_ENV = 'CONTROLLER_CONFIG_PARAMETER';

/** `actions[0].targetGroups[1].label`, the way a person reads a path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

/** One line per problem: the path, what is wrong, and the value received where there is one. */
export function formatIssues(error: $ZodError, input: unknown): string {
  return error.issues
    .map((issue) => {
      const path = formatPath(issue.path);
      const received = valueAt(input, issue.path);
      const shown =
        received === undefined ? '' : ` (received ${JSON.stringify(received)?.slice(0, 80)})`;
      return `${path || '(root)'}: ${issue.message}${shown}`;
    })
    .join('; ');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Parses configuration JSON text; throws naming the source, the path and the problem. */
export function parseConfig(text: string, source: string): ControllerConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`configuration in ${source} is not JSON: ${(error as Error).message}`);
  }
  const parsed = controllerConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`configuration in ${source} is invalid: ${formatIssues(parsed.error, json)}`);
  }
  return parsed.data;
}

/** Reads the configuration from the environment, or from the SSM parameter it names. */
export async function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  ssm: () => SSMClient,
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<ControllerConfig> {
  const inline = env[CONFIG_ENV];
  if (inline) return parseConfig(inline, `environment variable ${CONFIG_ENV}`);

  const name = env[CONFIG_PARAMETER_ENV];
  if (!name) {
    throw new Error(
      `no configuration: set ${CONFIG_ENV} to the configuration JSON or ${CONFIG_PARAMETER_ENV} to the SSM parameter that holds it`,
    );
  }
  const out = await callAws(
    'GetParameter',
    () => ssm().send(new GetParameterCommand({ Name: name })),
    retry,
  );
  return parseConfig(out.Parameter?.Value ?? '', `SSM parameter ${name}`);
}
