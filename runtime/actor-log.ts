// The small logger actors and transports write to: JSON lines on stderr, filtered by WEFT_LOG_LEVEL.
// Bindings (the actor's address, the transport) are attached once, so each call names only the event.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function levelFromEnv(): LogLevel {
  const raw = process.env.WEFT_LOG_LEVEL;
  return raw === 'debug' || raw === 'info' || raw === 'warn' || raw === 'error' ? raw : 'warn';
}

function fieldValue(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** JSON-lines logger on stderr; lines below `level` (default WEFT_LOG_LEVEL, else 'warn') are dropped. */
export function consoleLogger(bindings: LogFields = {}, level: LogLevel = levelFromEnv()): Logger {
  const min = RANK[level];
  const write = (lvl: LogLevel, message: string, fields?: LogFields): void => {
    if (RANK[lvl] < min) return;
    const line: LogFields = {
      time: new Date().toISOString(),
      level: lvl,
      msg: message,
      ...bindings,
    };
    if (fields) for (const [k, v] of Object.entries(fields)) line[k] = fieldValue(v);
    process.stderr.write(
      `${JSON.stringify(line, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`,
    );
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (more) => consoleLogger({ ...bindings, ...more }, level),
  };
}

/** Drops everything (tests that provoke errors on purpose). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
