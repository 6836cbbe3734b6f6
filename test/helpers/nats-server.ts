// Test helper: a real nats-server per test file (free loopback port, generated config, optional auth/TLS)
// and throwaway TLS certificates. The code itself lives in runtime/nats-server.ts and runtime/tls-files.ts.

export {
  findNatsServer,
  freePort,
  NatsServerError,
  startNatsServer,
  type NatsServer,
  type NatsServerAuth,
  type NatsServerOptions,
  type NatsServerTls,
} from '../../runtime/nats-server.js';

export { hasOpenssl, makeTlsFiles, type TlsFiles } from '../../runtime/tls-files.js';
