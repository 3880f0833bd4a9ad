import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKER_ENTRY, WORKER_NODE_FLAGS, nodeArgsFor } from './startup.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');

describe('how the worker is started', () => {
  test('when started as pnpm start and the tests do, the worker runs compiled with its heap flags; the admin through tsx', () => {
    expect(nodeArgsFor(WORKER_ENTRY)).toEqual([
      ...WORKER_NODE_FLAGS,
      'scripts/run-compiled.mjs',
      WORKER_ENTRY,
    ]);
    expect(nodeArgsFor('apps/admin/src/main.ts')).toEqual(['--import', 'tsx', 'apps/admin/src/main.ts']);
  });

  test('when extra node flags are given, they come after the worker’s own (node takes the last) and before the script', () => {
    expect(nodeArgsFor(WORKER_ENTRY, ['--max-semi-space-size=8', '--cpu-prof'])).toEqual([
      ...WORKER_NODE_FLAGS,
      '--max-semi-space-size=8',
      '--cpu-prof',
      'scripts/run-compiled.mjs',
      WORKER_ENTRY,
    ]);
  });

  test('when the worker is started some other way, it still has a growth cap to set itself (apps/worker main.ts takes it from these flags)', () => {
    expect(WORKER_NODE_FLAGS.filter((flag) => /^--heap-growing-percent=\d+$/.test(flag))).toHaveLength(1);
  });

  test('when started by `pnpm worker`, the command is the same', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['worker']).toBe(['node', ...nodeArgsFor(WORKER_ENTRY)].join(' '));
  });

  test('when started by docker compose, the worker service’s command is the same', () => {
    const compose = read('docker-compose.yml');
    const service = /^ {2}worker:\n([\s\S]*?)(?=^ {2}\S|(?![\s\S]))/m.exec(compose)?.[1];
    const command = /^ {4}command:\s*\[([^\]]*)\]/m.exec(service ?? '')?.[1];
    if (command === undefined) throw new Error('no command in the worker service of docker-compose.yml');
    const words = [...command.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    expect(words).toEqual(['node', ...nodeArgsFor(WORKER_ENTRY)]);
  });
});
