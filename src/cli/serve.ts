import { Command } from 'commander';
import { serveOptions, type ServeConfig } from '../config/serve-config.js';
import { createLogger } from '../log/logger.js';
import { HealthChecks } from '../server/health.js';
import { startServer } from '../server/server.js';
import { loadOrCreateServingTLS } from '../server/tls.js';
import { kplexVersion } from '../version.js';
import { addConfigOptions } from './options.js';

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('Serve the tenant API endpoints (https://<address>:<port>/clusters/<tenant>)')
    .action(async (opts: ServeConfig) => {
      await serve(opts);
    });
  return addConfigOptions(cmd, serveOptions);
}

export async function serve(cfg: ServeConfig): Promise<void> {
  const logger = createLogger(cfg.logLevel);
  const tls = await loadOrCreateServingTLS({ dataDir: cfg.dataDir, certFile: cfg.tlsCertFile, keyFile: cfg.tlsKeyFile });
  const health = new HealthChecks();
  const server = await startServer({
    bindAddress: cfg.bindAddress,
    port: cfg.port,
    tls,
    logger,
    health,
    version: () => ({
      major: '0',
      minor: kplexVersion.split('.')[1] ?? '0',
      gitVersion: `v${kplexVersion}`,
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '',
      goVersion: `node${process.versions.node}`,
      compiler: 'tsc',
      platform: `${process.platform}/${process.arch}`,
    }),
  });
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.close(cfg.shutdownGraceSeconds * 1000);
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
