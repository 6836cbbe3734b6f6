// A private certificate authority for one run: a CA, a server certificate for 127.0.0.1/localhost and a
// client certificate, all signed by the CA, made with openssl in a private (0700) temporary folder.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from './errors.js';

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

/** True when the openssl command is available (generated certificates need it). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** One certificate signed by the CA in `dir`: `<who>.key`, `<who>.pem`. */
function signed(dir: string, who: 'server' | 'client', name: string, days: string): void {
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    ['req', ...key, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${name}-${who}`],
    dir,
  );
  const ext =
    who === 'server'
      ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n';
  writeFileSync(path.join(dir, `${who}.ext`), ext);
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

/**
 * A fresh CA (named `name`, valid `days`) with a server and a client certificate. Fails with a
 * ConfigError naming `field` (the setting that asked for them) when openssl is missing or refuses.
 */
export function makeTlsFiles(
  options: { name?: string; days?: number; field?: string } = {},
): TlsFiles {
  const name = options.name ?? 'weft';
  const days = String(options.days ?? 2);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-tls-'));
  try {
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(
      [
        'req',
        '-x509',
        ...key,
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-days',
        days,
        '-subj',
        `/CN=${name}-ca`,
      ],
      dir,
    );
    signed(dir, 'server', name, days);
    signed(dir, 'client', name, days);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new ConfigError(
      `cannot make TLS certificates with openssl: ${(error as Error).message}`,
      { field: options.field ?? 'tls' },
      { cause: error },
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
