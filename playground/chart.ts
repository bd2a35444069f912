/**
 * The playground's chart: each target group's weight as read back from moto, and the p99 of each
 * simulated minute, over time, drawn with vega-lite and rendered to SVG as the benchmark does.
 */
import { renderSvg } from '../bench/charts';
import type { PlaygroundRun } from './run';

export interface ChartOptions {
  readonly title: string;
  /** Draws a rule where the scenario's change starts. */
  readonly changeStartMinute?: number;
}

export function playgroundChartSpec(run: PlaygroundRun, options: ChartOptions): object {
  const weights = run.rows.flatMap((row) =>
    run.labels.map((label, i) => ({ minute: row.minute, group: label, weight: row.weights[i] })),
  );
  const latency = run.result.minuteP99Ms.flatMap((p99, minute) =>
    p99 === null ? [] : [{ minute, p99 }],
  );
  const x = { field: 'minute', type: 'quantitative', title: 'simulated minute' };
  const change =
    options.changeStartMinute !== undefined && options.changeStartMinute < run.rows.length
      ? [
          {
            data: { values: [{ minute: options.changeStartMinute }] },
            mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
            encoding: { x },
          },
        ]
      : [];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    vconcat: [
      {
        width: 640,
        height: 180,
        title: 'weights read back from moto after each controller run',
        layer: [
          {
            data: { values: weights },
            mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
            encoding: {
              x,
              y: {
                field: 'weight',
                type: 'quantitative',
                title: 'weight',
                scale: { domain: [0, 999] },
              },
              color: { field: 'group', type: 'nominal', title: 'target group' },
            },
          },
          ...change,
        ],
      },
      {
        width: 640,
        height: 180,
        title: 'p99 of each minute, all requests (ms, log scale)',
        layer: [
          {
            data: { values: latency },
            mark: { type: 'line', strokeWidth: 1.2, color: '#d62728' },
            encoding: {
              x,
              y: {
                field: 'p99',
                type: 'quantitative',
                title: 'p99 ms',
                scale: { type: 'log', nice: false },
              },
            },
          },
          ...change,
        ],
      },
    ],
  };
}

export function renderPlaygroundChart(run: PlaygroundRun, options: ChartOptions): Promise<string> {
  return renderSvg(playgroundChartSpec(run, options));
}
