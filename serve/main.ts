/**
 * `mtl serve MODEL_DIR…`: loads the packages, listens (loopback unless told otherwise), says where in one line, and
 * on SIGINT or SIGTERM stops taking requests, finishes those in flight, and exits.
 */
import { createServer } from './server.js';
import type { ServeOptions } from './options.js';

export async function serve(dirs: readonly string[], options: Partial<ServeOptions>, log: (line: string) => void): Promise<void> {
  const server = await createServer(dirs, options, log);
  const address = await server.app.listen({ host: options.host, port: options.port });
  const models = [...server.registry.models.values()].map((m) => `${m.name} (${[...m.versions.keys()].map((id) => (id === m.active.id ? `${id}, active` : id)).join('; ')})`);
  log(`mtl serve: listening on ${address} with ${models.join(', ')}; status page at ${address}/`);
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    log(`mtl serve: ${signal}: finishing the requests in flight`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`mtl serve: could not close cleanly: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
