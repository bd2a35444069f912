/**
 * The benchmark's scenarios, optionally with the change moved earlier, so a short playground run
 * (or a test of 15 simulated minutes) still sees it. Only the clock the scenario reads is shifted:
 * the load, the fleet and the change itself stay as the benchmark defines them.
 */
import { Scenario, scenarioById, SCENARIOS } from '../bench/sim/scenarios';

export function playgroundScenario(id: string, changeAtMinute?: number): Scenario {
  const scenario = scenarioById(id);
  const late = scenario.groups.find((g) => g.joinMinute > 0);
  if (late) {
    throw new Error(
      `scenario is "${id}", where group ${late.label} joins at minute ${late.joinMinute}; the playground plays scenarios whose target groups are all there from minute 0: ${playableScenarioIds().join(', ')}`,
    );
  }
  if (changeAtMinute === undefined || changeAtMinute === scenario.changeStartMinute) return scenario;
  if (!Number.isInteger(changeAtMinute) || changeAtMinute < 0 || changeAtMinute > scenario.changeStartMinute) {
    throw new Error(
      `changeAtMinute is ${changeAtMinute}; it must be a whole minute from 0 to ${scenario.changeStartMinute} (where ${id}'s change starts)`,
    );
  }
  const shiftMinutes = scenario.changeStartMinute - changeAtMinute;
  const shiftSeconds = shiftMinutes * 60;
  return {
    ...scenario,
    id: `${scenario.id}@${changeAtMinute}`,
    title: `${scenario.title} (change at minute ${changeAtMinute})`,
    changeStartMinute: changeAtMinute,
    changeEndMinute: scenario.changeEndMinute - shiftMinutes,
    loadAt: (t) => scenario.loadAt(t + shiftSeconds),
    conditionAt: (i, t) => scenario.conditionAt(i, t + shiftSeconds),
  };
}

export function playableScenarioIds(): string[] {
  return SCENARIOS.filter((s) => s.groups.every((g) => g.joinMinute === 0)).map((s) => s.id);
}

/** The weights the simulator starts with (proportional to capacity, as B1's), the template's. */
export function startingWeights(scenario: Scenario): number[] {
  const capacity = scenario.groups.map((g) => g.hosts * g.workersPerHost * g.ratePerWorker);
  const largest = Math.max(...capacity);
  return capacity.map((c) => Math.round((999 * c) / largest));
}
