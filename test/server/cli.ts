/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { startLocalServer } from './core.ts';

// `npm run server [-- --port N] [--namespaces a,b] [--quiet]`: a standalone
// embedded server on 127.0.0.1 (port 3000 by default).

function parseArgs(argv: string[]): {
  port: number;
  namespaces?: string[];
  quiet: boolean;
} {
  let port = 3000;
  let namespaces: string[] | undefined;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port' || a === '-p') {
      port = Number(argv[++i]);
    } else if (a.startsWith('--port=')) {
      port = Number(a.slice('--port='.length));
    } else if (a === '--namespaces') {
      namespaces = argv[++i].split(',');
    } else if (a === '--quiet') {
      quiet = true;
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error('--port must be an integer 0..65535');
  }
  return { port, namespaces, quiet };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const server = await startLocalServer({
    port: args.port,
    namespaces: args.namespaces,
    log: args.quiet ? undefined : line => console.error(`[server] ${line}`),
  });
  console.log(`aerospike embedded server listening on ${server.hosts}`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(err => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
