import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const json = (file: string): Record<string, unknown> => JSON.parse(read(file)) as Record<string, unknown>;

/** `pnpm herald` and `pnpm bench` run these bins; `--json` relies on pnpm printing no banner. */
const BINS = [
  { name: 'herald', manifest: 'apps/cli/package.json' },
  { name: 'bench', manifest: 'bench/package.json' },
];

/** The files the Dockerfile's deps stage copies before `pnpm install` (globs as written). */
function dockerDepsCopies(): RegExp[] {
  const line = /^COPY --parents (.+) \.\/$/m.exec(read('Dockerfile'))?.[1];
  if (line === undefined) throw new Error('no COPY --parents line in the Dockerfile');
  return line
    .split(/\s+/)
    .map((glob) => new RegExp(`^${glob.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]+')}$`));
}

describe('the herald and bench commands', () => {
  test.each(BINS)(
    'when `pnpm $name` runs, it is a bin (a root script of that name would shadow it)',
    ({ name, manifest }) => {
      const scripts = (json('package.json')['scripts'] ?? {}) as Record<string, string>;
      expect(Object.keys(scripts)).not.toContain(name);
      const bin = (json(manifest)['bin'] ?? {}) as Record<string, string>;
      expect(Object.keys(bin)).toEqual([name]);
      const file = path.join(path.dirname(manifest), bin[name]!);
      expect(existsSync(path.join(REPO_ROOT, file))).toBe(true);
      const root = json('package.json');
      const packageName = json(manifest)['name'] as string;
      expect((root['devDependencies'] as Record<string, string>)[packageName]).toBe('workspace:*');
    },
  );

  test('when the image installs dependencies, the bins and every workspace manifest are already there (pnpm links a bin only if its file exists)', () => {
    const copies = dockerDepsCopies();
    const covered = (file: string): boolean => copies.some((re) => re.test(file));
    for (const { manifest } of BINS) {
      const bin = json(manifest)['bin'] as Record<string, string>;
      for (const file of Object.values(bin)) {
        expect(covered(path.posix.join(path.dirname(manifest), file))).toBe(true);
      }
      expect(covered(manifest)).toBe(true);
    }
    const members = read('pnpm-workspace.yaml')
      .split('\n')
      .map((line) => /^\s+-\s+(\S+)/.exec(line)?.[1])
      .filter((member): member is string => member !== undefined);
    for (const member of members) expect(covered(`${member}/package.json`)).toBe(true);
  });
});
