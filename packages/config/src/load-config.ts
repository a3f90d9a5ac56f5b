import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export type RawEnv = Readonly<Record<string, string | undefined>>;

/** The configuration did not validate; `problems` names every bad variable. */
export class ConfigError extends Error {
  readonly problems: readonly { variable: string; message: string }[];

  constructor(problems: readonly { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /** Reads the file named by CONFIG_FILE; tests replace it. */
  readFile?: (path: string) => string;
}

/**
 * Validates the variables against the schema and returns the typed, deep-frozen result.
 * Variables come from the environment, over an optional YAML file named by `CONFIG_FILE`
 * whose top-level keys are the same variable names (the environment wins). Empty
 * strings count as unset, so `FOO=` falls back to the schema's default.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: RawEnv, options: LoadConfigOptions = {}): Readonly<z.output<S>> {
  const merged: Record<string, unknown> = {};
  const file = env.CONFIG_FILE;
  if (file) {
    const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
    let parsed: unknown;
    try {
      parsed = parseYaml(readFile(file));
    } catch (error) {
      throw new ConfigError([{ variable: 'CONFIG_FILE', message: `cannot read ${file}: ${(error as Error).message}` }]);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new ConfigError([{ variable: 'CONFIG_FILE', message: `${file} must be a mapping of variable names to values` }]);
      }
      for (const [key, value] of Object.entries(parsed)) {
        if (value !== null && value !== undefined) merged[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
      }
    }
  }
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') merged[key] = value;
  }

  const result = schema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: issue.path.length > 0 ? issue.path.map(String).join('.') : '(config)',
        message: issue.message,
      })),
    );
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  } else if (Array.isArray(value)) {
    for (const inner of value) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
