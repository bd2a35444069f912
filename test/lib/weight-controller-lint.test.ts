import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { controllerStack, existingDefaultAction } from './weight-controller-fixtures';

/** cfn-lint's findings on the given templates, one line each. */
function cfnLint(templates: Record<string, unknown>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'weight-controller-lint-'));
  try {
    const files = Object.entries(templates).map(([name, template]) => {
      const file = join(dir, `${name}.template.json`);
      writeFileSync(file, JSON.stringify(template));
      return file;
    });
    const run = spawnSync('cfn-lint', ['--format', 'json', ...files], { encoding: 'utf8' });
    if (run.error) throw new Error(`cfn-lint could not run: ${run.error.message}`);
    // cfn-lint exits with a bit mask of the finding levels it saw; 1 means cfn-lint itself failed.
    if (run.status === 1) throw new Error(`cfn-lint failed: ${run.stderr}`);
    const findings = run.stdout.trim() ? JSON.parse(run.stdout) : [];
    return findings.map(
      (f: { Rule: { Id: string }; Location: { Path: unknown[] }; Message: string }) =>
        `${f.Rule.Id} at ${f.Location.Path.join('/')}: ${f.Message}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('cfn-lint on WeightController templates', () => {
  test('finds nothing in a controller with an inline configuration', () => {
    expect(cfnLint({ inline: controllerStack().template().toJSON() })).toEqual([]);
  });

  test('finds nothing in a controller with its configuration in SSM, policy alarms and a topic', () => {
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const actions = Array.from({ length: 5 }, (_, i) => ({
      ...existingDefaultAction(labels),
      id: `action-${i}`,
    }));
    const { template } = controllerStack((stack) => ({
      actions,
      alarmTopic: new sns.Topic(stack, 'Ops', { enforceSSL: true }),
      policyAlarms: [
        cloudwatch.Alarm.fromAlarmArn(
          stack,
          'AppErrors',
          'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:app-errors',
        ),
      ],
    }));
    expect(cfnLint({ large: template().toJSON() })).toEqual([]);
  });
});
