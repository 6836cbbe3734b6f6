// How a process of a cluster job authenticates from its spec: cluster.auth (user and password file,
// token file, creds or nkey seed file, control secret file) and cluster.tls, read per role at start.
import { ConfigError } from '../../runtime/errors.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import type { JobSpec } from '../job-spec.js';
import { readConfigText } from '../../runtime/config-file.js';

/** What `{role}` in a cluster.auth or cluster.tls field becomes. */
const forRole = (value: string, role: string) => value.replaceAll('{role}', role);

/** The first line of a secret file (a password, token or control secret), which must not be empty. */
function firstLine(file: string, field: string): string {
  const text = readConfigText(file, 'it', field);
  const line = text.split(/\r?\n/, 1)[0].trim();
  if (!line) throw new ConfigError('the file is empty', { file, field });
  return line;
}

/** A .creds file (a user JWT then its seed) authenticates with both; a bare seed file as an nkey. */
export function credsSetting(
  file: string,
  field: string,
): Pick<NatsConfig, 'credsFile' | 'nkeySeedFile'> {
  const text = readConfigText(file, 'NATS credentials', field);
  return text.includes('BEGIN NATS USER JWT') ? { credsFile: file } : { nkeySeedFile: file };
}

/** The authentication a process of `role` takes from cluster.auth (empty when the section is). */
export function specAuth(
  spec: JobSpec,
  role: string,
): Pick<NatsConfig, 'user' | 'password' | 'token' | 'credsFile' | 'nkeySeedFile'> {
  const auth = spec.cluster.auth;
  if (auth.user) {
    const password = auth.passwordFile
      ? firstLine(forRole(auth.passwordFile, role), 'cluster.auth.passwordFile')
      : '';
    return { user: forRole(auth.user, role), password };
  }
  if (auth.tokenFile)
    return { token: firstLine(forRole(auth.tokenFile, role), 'cluster.auth.tokenFile') };
  if (auth.credsFile) return credsSetting(forRole(auth.credsFile, role), 'cluster.auth.credsFile');
  return {};
}

/** The TLS files a process of `role` takes from cluster.tls (undefined when none is set). */
export function specTls(spec: JobSpec, role: string): NatsConfig['tls'] {
  const { caFile, certFile, keyFile } = spec.cluster.tls;
  const files = Object.entries({ caFile, certFile, keyFile }).filter(([, v]) => v);
  if (files.length === 0) return undefined;
  return Object.fromEntries(files.map(([k, v]) => [k, forRole(v, role)]));
}

/** The job's control secret from cluster.auth.controlSecretFile (undefined when not set). */
export function specControlSecret(spec: JobSpec, role: string): string | undefined {
  const file = spec.cluster.auth.controlSecretFile;
  return file ? firstLine(forRole(file, role), 'cluster.auth.controlSecretFile') : undefined;
}

/**
 * The NATS settings of a process of `role` joining `servers`: cluster.auth unless `override` brings
 * its own authentication (flags, WEFT_NATS_* variables), cluster.tls under `override`'s TLS files.
 */
export function clusterNatsConfig(
  spec: JobSpec,
  role: string,
  servers: string[],
  override: Partial<NatsConfig> = {},
): NatsConfig {
  const own = ['user', 'token', 'credsFile', 'nkeySeedFile'].some(
    (k) => override[k as keyof NatsConfig] !== undefined,
  );
  const tls = { ...specTls(spec, role), ...override.tls };
  return {
    servers,
    ...(own ? {} : specAuth(spec, role)),
    ...override,
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}
