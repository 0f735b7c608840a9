#!/usr/bin/env node
// The deepten CLI. deepten ships TypeScript sources and runs them through tsx's loader.
import { register } from 'tsx/esm/api';

// a reader that goes away (`deepten list | head`) ends the output quietly, as other command-line tools do
for (const s of [process.stdout, process.stderr]) s.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
