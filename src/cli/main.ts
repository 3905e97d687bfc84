#!/usr/bin/env node
// The `kplex` command (bin/kplex.js runs this file, compiled or through tsx).
import { kplexProgram } from './program.js';

async function main(argv: string[]): Promise<void> {
  await (await kplexProgram(argv[2])).parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`kplex: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
