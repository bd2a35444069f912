/**
 * Manual tuning by invoking the Lambda: set weights for a time, freeze, resume, status. A
 * scheduled event (or anything without a `command`) is a normal run. Overrides go into the state,
 * so every later run, on any instance, respects them until they expire.
 */
import { ControllerConfig, InvokeEvent, invokeEventSchema } from './contract';
import { formatIssues } from './config-source';
import { ControllerState } from './state';

const MINUTE_MS = 60_000;

/** The command an invoke event asks for; events without `command` (EventBridge schedules) run. */
export function parseInvokeEvent(event: unknown): InvokeEvent {
  if (event === null || typeof event !== 'object' || !('command' in event))
    return { command: 'run' };
  const parsed = invokeEventSchema.safeParse(event);
  if (!parsed.success)
    throw new Error(`invoke event is invalid: ${formatIssues(parsed.error, event)}`);
  return parsed.data;
}

function actionsNamed(config: ControllerConfig, actionId: string | undefined) {
  if (actionId === undefined) return config.actions;
  const action = config.actions.find((a) => a.id === actionId);
  if (!action) {
    const known = config.actions.map((a) => a.id).join(', ');
    throw new Error(`actionId is "${actionId}"; it must name a configured action: ${known}`);
  }
  return [action];
}

/** Weights by target group label or ARN, as configuration-order weights; unnamed groups get 0. */
export function weightsFromEvent(
  config: ControllerConfig,
  actionId: string,
  byName: Readonly<Record<string, number>>,
): number[] {
  const [action] = actionsNamed(config, actionId);
  const names = new Set(action.targetGroups.flatMap((tg) => [tg.label, tg.targetGroupArn]));
  for (const key of Object.keys(byName)) {
    if (!names.has(key)) {
      const labels = action.targetGroups.map((tg) => tg.label).join(', ');
      throw new Error(
        `weights.${key} names no target group of action "${actionId}"; use a label (${labels}) or a target group ARN`,
      );
    }
  }
  const weights = action.targetGroups.map(
    (tg) => byName[tg.label] ?? byName[tg.targetGroupArn] ?? 0,
  );
  if (weights.every((w) => w === 0)) {
    throw new Error(
      `weights are all 0 for action "${actionId}"; at least one target group must have a weight above 0`,
    );
  }
  return weights;
}

/** The state after a set-weights, freeze or resume command. */
export function applyCommand(
  config: ControllerConfig,
  state: ControllerState,
  event: Exclude<InvokeEvent, { command: 'run' } | { command: 'status' }>,
  nowMs: number,
): ControllerState {
  const actions = { ...state.actions };
  const targets = actionsNamed(config, event.actionId);
  for (const action of targets) {
    const current = actions[action.id] ?? {};
    const targetGroupArns = action.targetGroups.map((tg) => tg.targetGroupArn);
    if (event.command === 'set-weights') {
      const weights = weightsFromEvent(config, event.actionId, event.weights);
      const untilMs = nowMs + event.durationMinutes * MINUTE_MS;
      actions[action.id] = {
        ...current,
        override: { kind: 'set-weights', weights, targetGroupArns, setAtMs: nowMs, untilMs },
        resumedAtMs: undefined,
      };
    } else if (event.command === 'freeze') {
      const untilMs = nowMs + event.durationMinutes * MINUTE_MS;
      actions[action.id] = {
        ...current,
        override: { kind: 'freeze', setAtMs: nowMs, untilMs },
        resumedAtMs: undefined,
      };
    } else {
      // The weights last written stay, so a deploy reset after the resume is still recognised;
      // the mark tells the next run to take any other live weights as its baseline, not as drift.
      actions[action.id] = {
        lastWritten: current.lastWritten,
        pendingWrite: current.pendingWrite,
        policyState: current.policyState,
        resumedAtMs: nowMs,
      };
    }
  }
  return { ...state, actions };
}
