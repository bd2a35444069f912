/**
 * The package as a consumer gets it: `npm pack` the library, install the tarball into a new CDK
 * app that imports it by package name, and synthesize a built-in policy stack without esbuild,
 * then a custom policy stack once esbuild is installed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const PACKAGE_DIRS = ['lib', 'lambda', 'scripts'];
const versionOf = (name: string) => require(`${name}/package.json`).version as string;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'weighted-balancer-consumer-'));
const appDir = path.join(work, 'app');

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', npm_config_update_notifier: 'false' },
  });
}

/** Builds the package in a copy of the sources, so other work in this tree cannot leak in. */
function packLibrary(): string {
  const pkgDir = path.join(work, 'pkg');
  fs.mkdirSync(pkgDir);
  for (const file of PACKAGE_FILES) fs.copyFileSync(path.join(ROOT, file), path.join(pkgDir, file));
  for (const dir of PACKAGE_DIRS)
    fs.cpSync(path.join(ROOT, dir), path.join(pkgDir, dir), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkgDir, 'node_modules'));

  try {
    run('npx', ['tsc', '-p', 'tsconfig.build.json'], pkgDir);
  } catch (error) {
    // tsc still emits on type errors; the files the package needs are checked below.
    if (!fs.existsSync(path.join(pkgDir, 'dist', 'lib', 'index.js'))) throw error;
  }
  run('node', ['scripts/bundle-handler.mjs'], pkgDir);
  const tarball = run(
    'npm',
    ['pack', '--ignore-scripts', '--silent', '--pack-destination', work],
    pkgDir,
  ).trim();
  return path.join(work, tarball.split('\n').pop()!);
}

function writeApp(name: string, controllerProps: string): void {
  fs.writeFileSync(
    path.join(appDir, `${name}.js`),
    `const { App, Stack } = require('aws-cdk-lib');
const { LoadBalancerKind, WeightController } = require('cdk-weighted-balancer');

const app = new App({ outdir: ${JSON.stringify(path.join(appDir, `${name}.out`))} });
const stack = new Stack(app, 'Consumer', { env: { account: '123456789012', region: 'eu-west-1' } });
const arn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:';
new WeightController(stack, 'Controller', {
  actions: [
    WeightController.describeExistingAction({
      id: 'web-default',
      loadBalancerKind: LoadBalancerKind.APPLICATION,
      listenerArn: arn + 'listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2',
      targetGroups: [
        { targetGroupArn: arn + 'targetgroup/blue/73e2d6bc24d8a067', label: 'blue' },
        { targetGroupArn: arn + 'targetgroup/green/83e2d6bc24d8a067', label: 'green' },
      ],
    }),
  ],
  ${controllerProps}
});
app.synth();
`,
  );
}

/** The code of the synthesized stack's one Lambda function. */
function lambdaCode(name: string): string {
  const outdir = path.join(appDir, `${name}.out`);
  const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Consumer.template.json'), 'utf8'));
  const fn = Object.values(template.Resources as Record<string, any>).find(
    (r) => r.Type === 'AWS::Lambda::Function',
  );
  const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
  return fs.readFileSync(path.join(outdir, `asset.${hash}`, 'index.js'), 'utf8');
}

describe('the packed library in a new CDK app', () => {
  beforeAll(() => {
    const tarball = packLibrary();
    fs.mkdirSync(appDir);
    fs.writeFileSync(
      path.join(appDir, 'package.json'),
      '{ "name": "consumer-app", "version": "1.0.0", "private": true }',
    );
    run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        tarball,
        `aws-cdk-lib@${versionOf('aws-cdk-lib')}`,
        `constructs@${versionOf('constructs')}`,
      ],
      appDir,
    );
  }, 600_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('synthesizes a built-in policy without esbuild, deploying the pre-bundled handler', () => {
    expect(() => require.resolve('esbuild', { paths: [appDir] })).toThrow();
    writeApp('builtin', "policy: 'healthy-hosts',");
    run('node', ['builtin.js'], appDir);

    const prebundled = fs.readFileSync(
      path.join(appDir, 'node_modules', 'cdk-weighted-balancer', 'dist', 'handler', 'index.js'),
      'utf8',
    );
    expect(lambdaCode('builtin')).toBe(prebundled);
  }, 120_000);

  test('synthesizes a custom policy file with esbuild, bundling the policy into the function', () => {
    run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', `esbuild@${versionOf('esbuild')}`],
      appDir,
    );
    const example = fs.readFileSync(
      path.join(ROOT, 'examples', 'custom-policy', 'policy.ts'),
      'utf8',
    );
    fs.writeFileSync(
      path.join(appDir, 'policy.ts'),
      example.replace("from '../../lib/weight-controller'", "from 'cdk-weighted-balancer'"),
    );
    writeApp('custom', "policyFile: require('path').join(__dirname, 'policy.ts'),");
    run('node', ['custom.js'], appDir);

    const code = lambdaCode('custom');
    expect(code).toContain('error-aware: 5xx');
    expect(code).toContain('no share moved by more than the deadband');
  }, 300_000);
});
