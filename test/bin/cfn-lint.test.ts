import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleApp } from '../../bin/stacks';
import { projectApp } from '../lib/app-helpers';
import { ALLOWED_CFN_LINT_FINDINGS } from './cfn-lint-allowed';

interface CfnLintFinding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
}

function isAllowed(finding: CfnLintFinding): boolean {
  const [section, resource] = finding.Location.Path;
  return ALLOWED_CFN_LINT_FINDINGS.some(
    (allowed) =>
      allowed.rule === finding.Rule.Id &&
      section === 'Resources' &&
      typeof resource === 'string' &&
      resource.startsWith(allowed.resourcePrefix),
  );
}

function describeFinding(finding: CfnLintFinding): string {
  return `${finding.Filename} ${finding.Rule.Id} at ${finding.Location.Path.join('/')}: ${finding.Message}`;
}

/** Synthesizes the example app into `outdir` and lints every template it writes. */
function lintExampleApp(outdir: string): { templates: string[]; findings: CfnLintFinding[] } {
  const app = projectApp({ outdir });
  buildExampleApp(app);
  app.synth();
  const templates = readdirSync(outdir)
    .filter((name) => name.endsWith('.template.json'))
    .map((name) => join(outdir, name));

  const run = spawnSync('cfn-lint', ['--format', 'json', ...templates], { encoding: 'utf8' });
  if (run.error)
    throw new Error(`cfn-lint could not run (.ci/run installs it): ${run.error.message}`);
  // cfn-lint exits with a bit mask of the finding levels it saw; 1 means cfn-lint itself failed.
  if (run.status === 1) throw new Error(`cfn-lint failed: ${run.stderr}`);
  return { templates, findings: run.stdout.trim() ? JSON.parse(run.stdout) : [] };
}

describe('cfn-lint on the example app', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'weighted-balancer-cfn-lint-'));
  let result: { templates: string[]; findings: CfnLintFinding[] };
  beforeAll(() => {
    result = lintExampleApp(outdir);
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('lints a template per example stack', () => {
    expect(result.templates.map((path) => path.slice(outdir.length + 1)).sort()).toEqual([
      'WeightedTcpService.template.json',
      'WeightedWebService.template.json',
    ]);
  });

  it('finds no errors or warnings beyond the ones allowed with a reason', () => {
    expect(result.findings.filter((finding) => !isAllowed(finding)).map(describeFinding)).toEqual(
      [],
    );
  });

  it('still meets every allowed finding, so the list cannot go stale', () => {
    const unused = ALLOWED_CFN_LINT_FINDINGS.filter(
      (allowed) =>
        !result.findings.some(
          (finding) =>
            finding.Rule.Id === allowed.rule &&
            String(finding.Location.Path[1]).startsWith(allowed.resourcePrefix),
        ),
    );
    expect(unused).toEqual([]);
  });
});
