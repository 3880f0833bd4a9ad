import { sleep, startProcess } from '@herald/testkit';
import { REPEATED_SIGNAL_MS } from './shutdown.js';

const FIXTURE = 'packages/runtime/src/testing/shutdown-fixture.ts';

describe('shutdown on a signal', () => {
  test('when the same signal arrives twice at once (process group and forwarder), the shutdown is still graceful', async () => {
    const p = startProcess(FIXTURE, { env: { HERALD_TEST_SHUTDOWN_MS: '800' } });
    await p.waitFor(/fixture ready/);
    process.kill(p.pid, 'SIGINT');
    await sleep(20);
    process.kill(p.pid, 'SIGINT');
    const result = await p.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('signal repeated: already shutting down');
    expect(result.stdout).toContain('"msg":"stopped"');
    expect(result.stdout).not.toContain('second signal');
  });

  test('when a second signal comes later, it exits at once with 1', async () => {
    const p = startProcess(FIXTURE, { env: { HERALD_TEST_SHUTDOWN_MS: '30000' } });
    await p.waitFor(/fixture ready/);
    process.kill(p.pid, 'SIGTERM');
    await sleep(REPEATED_SIGNAL_MS + 300);
    process.kill(p.pid, 'SIGTERM');
    const result = await p.exited;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('second signal: exiting now');
  });
});
