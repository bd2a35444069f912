import { MOTO_INSTALL_COMMAND, startMotoServer } from '../../tools/moto-server';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startMotoServer', () => {
  it('starts moto_server on a free 127.0.0.1 port and stops it by its process id', async () => {
    const moto = await startMotoServer();
    try {
      expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
      expect((await fetch(`${moto.endpoint}/moto-api/data.json`)).ok).toBe(true);
      expect(isRunning(moto.pid)).toBe(true);
    } finally {
      await moto.stop();
    }
    expect(isRunning(moto.pid)).toBe(false);
  });

  it('fails with the install command when moto_server is missing', async () => {
    await expect(startMotoServer({ command: 'moto_server_that_is_not_installed' })).rejects.toThrow(
      `moto_server_that_is_not_installed is not installed or not on PATH; install it with: ${MOTO_INSTALL_COMMAND}`,
    );
  });
});
