/**
 * Starts moto_server (an AWS emulator) on a free 127.0.0.1 port for tests and the playground,
 * waits until it answers, and stops it by its process id. A missing moto is an error that says how
 * to install it: tests that need it must fail, never skip.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export const MOTO_INSTALL_COMMAND = 'pip install "moto[server]" cfn-lint';

export interface MotoServer {
  /** e.g. http://127.0.0.1:50123 */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Forgets every resource, so one server can serve several independent tests. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer. @default 30000 */
  readonly timeoutMs?: number;
  /** The executable. @default "moto_server" */
  readonly command?: string;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/data.json`);
    return response.ok;
  } catch {
    return false;
  }
}

export async function startMotoServer(options: StartMotoOptions = {}): Promise<MotoServer> {
  const command = options.command ?? 'moto_server';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;

  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const failedToStart = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'ENOENT'
          ? new Error(
              `${command} is not installed or not on PATH; install it with: ${MOTO_INSTALL_COMMAND}`,
            )
          : error,
      ),
    );
    child.once('exit', (code) =>
      resolve(new Error(`${command} exited with code ${code} before answering: ${stderr.trim()}`)),
    );
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited(child);
    clearTimeout(timer);
  };

  const deadline = Date.now() + timeoutMs;
  let problem: Error | undefined;
  void failedToStart.then((e) => (problem = e));
  while (!(await answers(endpoint))) {
    if (problem) throw problem;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `${command} did not answer on ${endpoint} within ${timeoutMs} ms: ${stderr.trim()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    endpoint,
    port,
    pid: child.pid!,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok)
        throw new Error(`resetting moto at ${endpoint} failed: HTTP ${response.status}`);
    },
    stop,
  };
}
