#!/usr/bin/env node
// `pnpm bench …` runs this bin (the root package has no `bench` script: pnpm 10
// prints a script's banner on stdout, which would break `--json`'s one object).
// TypeScript through tsx, in this process.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
