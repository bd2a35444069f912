import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { controllerStack } from './weight-controller-fixtures';

const POLICY_FILE = path.join(__dirname, '..', '..', 'examples', 'custom-policy', 'policy.ts');

/** The bundled code of the stack's one Lambda function. */
function bundledCode(outdir: string, template: Template): string {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
  const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
  return fs.readFileSync(path.join(outdir, `asset.${hash}`, 'index.js'), 'utf8');
}

describe('WeightController with a custom policy file', () => {
  // One synth bundles with esbuild; the tests below read its result.
  const { app, template: synth } = controllerStack({
    policyFile: POLICY_FILE,
    policyParameters: { maxErrorRate: 0.1 },
  });
  const template = synth();
  app.synth();
  const code = bundledCode(app.outdir, template);

  test('bundles the custom policy into the function code at synth', () => {
    expect(code).toContain('error-aware: 5xx');
  });

  test('bundles the same handler and guardrails as the built-in policies', () => {
    expect(code).toContain('a policy weight must be a finite number of 0 or more');
    expect(code).toContain('no share moved by more than the deadband');
  });

  test('bundles the AWS SDK rather than relying on the runtime copy', () => {
    expect(code).toContain('ModifyListener');
    expect(code).not.toMatch(/require\("@aws-sdk\/client-/);
  });

  test('exports a handler the bundle can load without AWS', () => {
    const file = path.join(app.outdir, 'loaded-bundle.js');
    fs.writeFileSync(file, code);
    const loaded = require(file) as { handler: unknown };
    expect(typeof loaded.handler).toBe('function');
  });

  test('names the custom policy and keeps its parameters in the configuration', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    const config = JSON.parse(fn.Properties.Environment.Variables.CONTROLLER_CONFIG);
    expect(config.policy).toEqual({ name: 'custom', parameters: { maxErrorRate: 0.1 } });
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
    });
  });
});
