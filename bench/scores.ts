/**
 * Scores: per run, then medians over seeds, in the shape `bench/results/latest.json` holds, and
 * the issue's targets judged against them.
 */
import { SimulationResult } from './sim/simulate';

export interface ScoreRow {
  readonly scenario: string;
  readonly policy: string;
  readonly seeds: number[];
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly p99_ms_min: number;
  readonly p99_ms_max: number;
  readonly p999_ms: number;
  readonly oracle_p99_ms: number | null;
  readonly p99_ratio: number | null;
  readonly delayed_oracle_p99_ms: number | null;
  readonly p99_ratio_delayed: number | null;
  readonly settled_p99_ratio: number | null;
  readonly error_rate: number;
  readonly convergence_min: number | null;
  readonly weight_movement_per_hour: number;
  readonly writes_per_hour: number;
  readonly false_rollbacks?: number;
  readonly rollback_min?: number | null;
  readonly promoted?: boolean;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The median of values where null means "never": null when that is the median. */
function medianOrNull(values: readonly (number | null)[]): number | null {
  const m = median(values.map((v) => (v === null ? Infinity : v)));
  return Number.isFinite(m) ? m : null;
}

function round(value: number, digits = 4): number {
  return Number(value.toPrecision(digits));
}

/** One row from a controller's runs on one scenario, judged against B2's and B2d's same seeds. */
export function scoreRow(
  runs: readonly SimulationResult[],
  oracleRuns: ReadonlyMap<number, SimulationResult>,
  delayedRuns: ReadonlyMap<number, SimulationResult>,
): ScoreRow {
  const first = runs[0];
  const hours = first.minuteP99Ms.length / 60;
  const ratio = (key: 'p99Ms' | 'settledP99Ms', against: ReadonlyMap<number, SimulationResult>) => {
    const values = runs
      .filter((r) => against.has(r.seed))
      .map((r) => r[key] / against.get(r.seed)![key]);
    return values.length > 0 ? round(median(values)) : null;
  };
  const againstP99 = (against: ReadonlyMap<number, SimulationResult>) => {
    const values = runs.filter((r) => against.has(r.seed)).map((r) => against.get(r.seed)!.p99Ms);
    return values.length > 0 ? round(median(values)) : null;
  };
  const p99s = runs.map((r) => r.p99Ms);
  const row: ScoreRow = {
    scenario: first.scenario,
    policy: first.controller,
    seeds: runs.map((r) => r.seed),
    p50_ms: round(median(runs.map((r) => r.p50Ms))),
    p99_ms: round(median(p99s)),
    p99_ms_min: round(Math.min(...p99s)),
    p99_ms_max: round(Math.max(...p99s)),
    p999_ms: round(median(runs.map((r) => r.p999Ms))),
    oracle_p99_ms: againstP99(oracleRuns),
    p99_ratio: ratio('p99Ms', oracleRuns),
    delayed_oracle_p99_ms: againstP99(delayedRuns),
    p99_ratio_delayed: ratio('p99Ms', delayedRuns),
    settled_p99_ratio: ratio('settledP99Ms', oracleRuns),
    error_rate: round(median(runs.map((r) => r.errors / r.requests)), 3),
    convergence_min: medianOrNull(runs.map((r) => r.convergenceMinute)),
    weight_movement_per_hour: round(median(runs.map((r) => r.movement / hours)), 3),
    writes_per_hour: round(median(runs.map((r) => r.writes / hours)), 3),
  };
  if (first.controller !== 'canary') return row;
  const rolledBack = runs.filter((r) => r.extra.phase === 'rolled-back');
  return {
    ...row,
    false_rollbacks: first.scenario === 'S9' ? rolledBack.length : undefined,
    rollback_min:
      first.scenario === 'S8' ? medianOrNull(runs.map((r) => r.rollbackMinutes)) : undefined,
    promoted: runs.every((r) => r.extra.phase === 'promoted'),
  };
}

export interface TargetCheck {
  readonly target: string;
  readonly value: string;
  readonly met: boolean;
  /** Set when the run left out a scenario or controller the target needs: neither met nor missed. */
  readonly notRun?: true;
}

/** What a run covered; a target that needs anything else is "not run" rather than missed. */
export interface RunScope {
  readonly scenarios: readonly string[];
  readonly controllers: readonly string[];
}

/**
 * The issue's benchmark targets, each met or missed, or, given the scope of a partial run, not run
 * when it needs a scenario or controller the run left out.
 */
export function checkTargets(rows: readonly ScoreRow[], scope?: RunScope): TargetCheck[] {
  const find = (scenario: string, policy: string) =>
    rows.find((r) => r.scenario === scenario && r.policy === policy);
  const checks: TargetCheck[] = [];
  const ran = (scenarios: readonly string[], controllers: readonly string[]) =>
    !scope ||
    (scenarios.every((s) => scope.scenarios.includes(s)) &&
      controllers.every((c) => scope.controllers.includes(c)));
  const check = (
    needs: [scenarios: string[], controllers: string[]],
    target: string,
    value: number | null | undefined,
    ok: (v: number) => boolean,
    digits = 3,
  ) => {
    if (!ran(...needs)) {
      checks.push({ target, value: 'not run', met: false, notRun: true });
      return;
    }
    const known = value !== null && value !== undefined && Number.isFinite(value);
    checks.push({
      target,
      value: known ? String(round(value!, digits)) : 'none',
      met: known && ok(value!),
    });
  };

  for (const s of ['S1', 'S2'])
    check(
      [[s], ['adaptive', 'B2']],
      `adaptive ${s} p99_ratio <= 1.10`,
      find(s, 'adaptive')?.p99_ratio,
      (v) => v <= 1.1,
    );
  for (const s of ['S4', 'S5', 'S6', 'S10']) {
    const row = find(s, 'adaptive');
    const delayed = find(s, 'B2d');
    check(
      [[s], ['adaptive', 'B2d']],
      `adaptive ${s} p99_ratio_delayed <= 1.15`,
      row?.p99_ratio_delayed,
      (v) => v <= 1.15,
    );
    check(
      [[s], ['adaptive', 'B2']],
      `adaptive ${s} settled_p99_ratio <= 1.10`,
      row?.settled_p99_ratio,
      (v) => v <= 1.1,
    );
    check(
      [[s], ['adaptive']],
      `adaptive ${s} convergence_min <= 6`,
      row?.convergence_min,
      (v) => v <= 6,
    );
    const errorRatio =
      row && delayed
        ? delayed.error_rate > 0
          ? row.error_rate / delayed.error_rate
          : row.error_rate > 0
            ? Infinity
            : 1
        : null;
    check(
      [[s], ['adaptive', 'B2d']],
      `adaptive ${s} error_rate <= 1.2 x B2d's (${delayed?.error_rate ?? '?'})`,
      errorRatio,
      (v) => v <= 1.2,
    );
  }
  for (const scenario of [...new Set(rows.map((r) => r.scenario))]) {
    const row = find(scenario, 'adaptive');
    const better = Math.min(
      find(scenario, 'B1')?.p99_ms ?? Infinity,
      find(scenario, 'B3')?.p99_ms ?? Infinity,
    );
    check(
      [[scenario], ['adaptive', 'B1', 'B3']],
      `adaptive ${scenario} p99 <= 1.02 x min(B1, B3)${Number.isFinite(better) ? ` (${round(better)} ms)` : ''}`,
      row ? row.p99_ms / better : null,
      (v) => v <= 1.02,
    );
  }
  check(
    [['S1'], ['adaptive']],
    'adaptive S1 writes_per_hour <= 12',
    find('S1', 'adaptive')?.writes_per_hour,
    (v) => v <= 12,
  );
  const s7 = find('S7', 'canary');
  if (ran(['S7'], ['canary'])) {
    checks.push({
      target: 'canary promotes on S7',
      value: String(s7?.promoted ?? 'none'),
      met: s7?.promoted === true,
    });
  } else {
    checks.push({ target: 'canary promotes on S7', value: 'not run', met: false, notRun: true });
  }
  check(
    [['S8'], ['canary']],
    'canary S8 rollback_min <= 4',
    find('S8', 'canary')?.rollback_min,
    (v) => v <= 4,
  );
  check(
    [['S9'], ['canary']],
    'canary S9 false_rollbacks == 0 (20 seeds)',
    find('S9', 'canary')?.false_rollbacks,
    (v) => v === 0,
  );
  for (const policy of ['capacity', 'failover']) {
    if (!ran([], [policy])) {
      const target = `${policy} reported on every scenario`;
      checks.push({ target, value: 'not run', met: false, notRun: true });
      continue;
    }
    const reported = rows.filter((r) => r.policy === policy).length;
    const scenarios = new Set(rows.map((r) => r.scenario)).size;
    checks.push({
      target: `${policy} reported on every scenario`,
      value: `${reported}/${scenarios}`,
      met: reported === scenarios,
    });
  }
  return checks;
}
