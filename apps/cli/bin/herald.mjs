#!/usr/bin/env node
// `pnpm herald …` runs this bin (the root package has no `herald` script:
// pnpm 10 prints a script's "> herald@… herald" banner on stdout, which would
// break `--json`'s one document; a bin it runs as is). TypeScript through tsx,
// in this process, so stdin, stdout, signals and the exit code are the CLI's own.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
