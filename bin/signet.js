#!/usr/bin/env -S node --max-semi-space-size=4 --max-old-space-size=512
// The `signet` command: registers the TypeScript loader, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
