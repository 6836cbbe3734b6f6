// Test helper: a real nats-server per test file (free loopback port, generated config, optional auth/TLS)
// and throwaway TLS certificates made with openssl. The server code itself lives in runtime/nats-server.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

export interface TlsFiles {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Removes the folder. */
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** True when the openssl command is available (TLS tests need it to make certificates). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-tls-'));
  const days = '2';
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      days,
      '-subj',
      '/CN=weft-test-ca',
    ],
    dir,
  );
  for (const who of ['server', 'client']) {
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${who}.key`,
        '-out',
        `${who}.csr`,
        '-subj',
        `/CN=weft-test-${who}`,
      ],
      dir,
    );
    const ext =
      who === 'server'
        ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
        : 'extendedKeyUsage=clientAuth\n';
    execFileSync('sh', ['-c', `printf '${ext}' > ${who}.ext`], { cwd: dir });
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${who}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${who}.pem`,
        '-days',
        days,
        '-extfile',
        `${who}.ext`,
      ],
      dir,
    );
  }
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    serverCertFile: path.join(dir, 'server.pem'),
    serverKeyFile: path.join(dir, 'server.key'),
    clientCertFile: path.join(dir, 'client.pem'),
    clientKeyFile: path.join(dir, 'client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
