/**
 * A small, strict command-line parser: `--name value`, `--name=value`, boolean flags, one-letter
 * aliases (`-y`), `-` as a value (stdin/stdout) and `--` to end options. Unknown options, missing
 * values and out-of-range numbers are CliErrors naming the option and the value given.
 */

/** A user mistake on the command line or with a file the user named: one line, exit code 2. */
export class CliError extends Error {
  override name = 'CliError';
}

export interface OptionSpec {
  /** 'number': a decimal such as 0.5 or 2 (no exponent, no suffix). */
  kind: 'string' | 'boolean' | 'integer' | 'number';
  /** One-letter alias, without the dash: `y` for `-y`. */
  short?: string;
  /** Integer and number options: inclusive bounds. */
  min?: number;
  max?: number;
  /** Integer options: also accept k and M suffixes (x1000, x1000000) and decimals before them (`2.5M`). */
  metric?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<O extends OptionSpec> = O['kind'] extends 'boolean' ? boolean : O['kind'] extends 'integer' | 'number' ? number : string;

/** Options that were given; an absent option is undefined (callers apply their own defaults). */
export type ParsedOptions<S extends OptionSpecs> = { -readonly [K in keyof S]?: ValueOf<S[K]> };

export interface ParsedArgs<S extends OptionSpecs> {
  options: ParsedOptions<S>;
  positionals: string[];
}

export function parseArgs<const S extends OptionSpecs>(argv: readonly string[], specs: S): ParsedArgs<S> {
  const options: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, name);

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-' || !token.startsWith('-')) {
      positionals.push(token);
      continue;
    }

    let name: string, shown: string, inline: string | undefined;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      name = eq < 0 ? token.slice(2) : token.slice(2, eq);
      inline = eq < 0 ? undefined : token.slice(eq + 1);
      shown = `--${name}`;
      if (!Object.hasOwn(specs, name)) throw new CliError(`unknown option ${shown}${suggestion(name, Object.keys(specs))}`);
    } else {
      const long = byShort.get(token.slice(1));
      if (long === undefined) throw new CliError(`unknown option ${token}`);
      name = long;
      shown = token;
    }
    const spec = specs[name]!;
    if (Object.hasOwn(options, name)) throw new CliError(`--${name} is given twice`);

    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw new CliError(`${shown} does not take a value, got ${shown}=${inline}`);
      options[name] = true;
      continue;
    }

    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      // A following option means the value was forgotten; `-` (stdin/stdout) and, for numeric
      // options, negative numbers are values. A string starting with a dash can still be given as --name=-x.
      const numeric = spec.kind === 'integer' || spec.kind === 'number';
      const isValue = next !== undefined && (next === '-' || !next.startsWith('-') || (numeric && /^-\d/.test(next)));
      if (!isValue) throw new CliError(`${shown} needs a value`);
      value = next;
      i++;
    }
    if (value === '') throw new CliError(`${shown} needs a value`);
    options[name] = spec.kind === 'integer' ? parseInteger(`--${name}`, value, spec)
      : spec.kind === 'number' ? parseNumber(`--${name}`, value, spec)
      : value;
  }
  return { options: options as ParsedOptions<S>, positionals };
}

/** Parses an integer option value; `label` is how the option is named in the message. */
export function parseInteger(label: string, text: string, spec: Pick<OptionSpec, 'min' | 'max' | 'metric'> = {}): number {
  let value = Number.NaN;
  const metric = spec.metric ? /^(\d+(?:\.\d+)?)([kKmM])$/.exec(text) : null;
  if (metric) {
    value = Number(metric[1]) * (metric[2]!.toLowerCase() === 'k' ? 1e3 : 1e6);
  } else if (/^[+-]?\d+$/.test(text)) {
    value = Number(text);
  }
  const { min, max } = spec;
  if (!Number.isSafeInteger(value) || (min !== undefined && value < min) || (max !== undefined && value > max)) {
    throw new CliError(`${label} must be an integer${rangeText(min, max)}${spec.metric ? ' (k and M suffixes allowed)' : ''}, got ${shownValue(text)}`);
  }
  return value;
}

/** Parses a decimal option value (`0.5`, `2`, `-1.25`); `label` is how the option is named in the message. */
export function parseNumber(label: string, text: string, spec: Pick<OptionSpec, 'min' | 'max'> = {}): number {
  const value = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  const { min, max } = spec;
  if (!Number.isFinite(value) || (min !== undefined && value < min) || (max !== undefined && value > max)) {
    throw new CliError(`${label} must be a number${rangeText(min, max)}, got ${shownValue(text)}`);
  }
  return value;
}

function rangeText(min: number | undefined, max: number | undefined): string {
  return min !== undefined && max !== undefined ? ` from ${min} to ${max}`
    : min !== undefined ? ` of at least ${min}`
    : max !== undefined ? ` of at most ${max}` : '';
}

/** A number-like value as typed (`27.5`, `2M`); anything else quoted, so odd characters show. */
function shownValue(text: string): string {
  return /^[+-]?[\d.]+[a-zA-Z]?$/.test(text) ? text : JSON.stringify(text);
}

/** ` (did you mean --x?)` for the closest known name within two edits, or ''. */
export function suggestion(name: string, known: readonly string[], prefix = '--'): string {
  let best = '', bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance && d < candidate.length) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean ${prefix}${best}?)` : '';
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
