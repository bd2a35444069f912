/**
 * The benchmark's scenarios, optionally with the change moved earlier, so a short playground run
 * (or a test of 15 simulated minutes) still sees it. Only the clock the scenario reads is shifted
 * (a canary's join minute with it): the load, the fleet and the change stay as the benchmark
 * defines them.
 */
import { Scenario, scenarioById, SCENARIOS } from '../bench/sim/scenarios';

export function playgroundScenario(id: string, changeAtMinute?: number): Scenario {
  const scenario = scenarioById(id);
  if (changeAtMinute === undefined || changeAtMinute === scenario.changeStartMinute)
    return scenario;
  if (
    !Number.isInteger(changeAtMinute) ||
    changeAtMinute < 0 ||
    changeAtMinute > scenario.changeStartMinute
  ) {
    throw new Error(
      `changeAtMinute is ${changeAtMinute}; it must be a whole minute from 0 to ${scenario.changeStartMinute} (where ${id}'s change starts)`,
    );
  }
  const shiftMinutes = scenario.changeStartMinute - changeAtMinute;
  const shiftSeconds = shiftMinutes * 60;
  // A canary group joins earlier by as much, and still after minute 0, so it still joins.
  const groups = scenario.groups.map((g) =>
    g.joinMinute > 0 ? { ...g, joinMinute: g.joinMinute - shiftMinutes } : g,
  );
  const early = groups.find((g, i) => scenario.groups[i].joinMinute > 0 && g.joinMinute < 1);
  if (early) {
    const lowest =
      scenario.changeStartMinute -
      scenario.groups.find((g) => g.label === early.label)!.joinMinute +
      1;
    throw new Error(
      `changeAtMinute is ${changeAtMinute}; ${id}'s group ${early.label} would join before minute 1, so it must be at least ${lowest}`,
    );
  }
  return {
    ...scenario,
    id: `${scenario.id}@${changeAtMinute}`,
    title: `${scenario.title} (change at minute ${changeAtMinute})`,
    changeStartMinute: changeAtMinute,
    changeEndMinute: scenario.changeEndMinute - shiftMinutes,
    groups,
    loadAt: (t) => scenario.loadAt(t + shiftSeconds),
    conditionAt: (i, t) => scenario.conditionAt(i, t + shiftSeconds),
  };
}

export function playableScenarioIds(): string[] {
  return SCENARIOS.map((s) => s.id);
}

/**
 * The template's weights: those the simulator starts with, proportional to capacity as B1's, the
 * largest at 999; 0 for a group that joins later, as a canary's forward-action entry starts.
 */
export function startingWeights(scenario: Scenario): number[] {
  const capacity = scenario.groups.map((g) => g.hosts * g.workersPerHost * g.ratePerWorker);
  const largest = Math.max(...capacity.filter((_, i) => scenario.groups[i].joinMinute === 0));
  return capacity.map((c, i) =>
    scenario.groups[i].joinMinute === 0 ? Math.round((999 * c) / largest) : 0,
  );
}
