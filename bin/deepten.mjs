#!/usr/bin/env node
// The deepten CLI. deepten ships TypeScript sources and runs them through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
