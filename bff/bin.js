#!/usr/bin/env node
// The package ships TypeScript; tsx runs it (no build step). See bff/cli.ts.
import { register } from 'tsx/esm/api';
register();
const { run } = await import('./cli.ts');
await run(process.argv.slice(2));
