import { describe, expect, it } from 'vitest';
import { CliError, parseArgs, parseInteger, suggestion } from '../../main/cli/args.js';

const SPECS = {
  input: { kind: 'string', short: 'i' },
  output: { kind: 'string' },
  qp: { kind: 'integer', min: 0, max: 51 },
  'qp-min': { kind: 'integer', min: 0, max: 51 },
  frames: { kind: 'integer', min: 1 },
  offset: { kind: 'integer' },
  bitrate: { kind: 'integer', min: 1, metric: true },
  force: { kind: 'boolean', short: 'y' },
} as const;

function parse(...argv: string[]) {
  return parseArgs(argv, SPECS);
}

function failure(...argv: string[]): string {
  try {
    parse(...argv);
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    return (e as Error).message;
  }
  throw new Error(`expected ${argv.join(' ')} to fail`);
}

describe('parseArgs', () => {
  it('reads --name value, --name=value, flags and short aliases', () => {
    const { options, positionals } = parse('--input', 'a.y4m', '--qp=30', '-y', '--output', 'b.h264');
    expect(options).toEqual({ input: 'a.y4m', qp: 30, force: true, output: 'b.h264' });
    expect(positionals).toEqual([]);
    expect(parse('-i', 'x.yuv').options.input).toBe('x.yuv');
  });

  it('leaves absent options undefined', () => {
    const { options } = parse();
    expect(options.qp).toBeUndefined();
    expect(options.force).toBeUndefined();
  });

  it('takes - as a value (stdin/stdout) and as a positional', () => {
    expect(parse('--input', '-', '--output=-').options).toEqual({ input: '-', output: '-' });
    expect(parse('-').positionals).toEqual(['-']);
  });

  it('collects positionals, and everything after --', () => {
    expect(parse('a', '--qp', '1', 'b', '--', '--force', '-y').positionals).toEqual(['a', 'b', '--force', '-y']);
  });

  it('keeps = inside a value', () => {
    expect(parse('--input=a=b.y4m').options.input).toBe('a=b.y4m');
  });

  it('accepts a negative number as an integer value', () => {
    expect(parse('--offset', '-3').options.offset).toBe(-3);
  });

  it('reads k and M suffixes where allowed', () => {
    expect(parse('--bitrate', '800k').options.bitrate).toBe(800_000);
    expect(parse('--bitrate=2.5M').options.bitrate).toBe(2_500_000);
    expect(parse('--bitrate', '123456').options.bitrate).toBe(123_456);
    expect(failure('--qp', '1k')).toBe('--qp must be an integer from 0 to 51, got 1k');
  });

  it('rejects unknown options, suggesting a close one', () => {
    expect(failure('--qpp', '3')).toBe('unknown option --qpp (did you mean --qp?)');
    expect(failure('--inptu', 'a')).toBe('unknown option --inptu (did you mean --input?)');
    expect(failure('--zzzzzz')).toBe('unknown option --zzzzzz');
    expect(failure('-q')).toBe('unknown option -q');
    expect(failure('-yi')).toBe('unknown option -yi');
  });

  it('rejects missing values', () => {
    expect(failure('--input')).toBe('--input needs a value');
    expect(failure('--input', '--qp', '3')).toBe('--input needs a value');
    expect(failure('--qp')).toBe('--qp needs a value');
    expect(failure('--input=')).toBe('--input needs a value');
    expect(failure('-i')).toBe('-i needs a value');
  });

  it('rejects a value on a flag and a repeated option', () => {
    expect(failure('--force=yes')).toBe('--force does not take a value, got --force=yes');
    expect(failure('--qp', '1', '--qp=2')).toBe('--qp is given twice');
    expect(failure('-y', '--force')).toBe('--force is given twice');
  });

  it('validates integers and their range, naming the value', () => {
    expect(failure('--qp', '60')).toBe('--qp must be an integer from 0 to 51, got 60');
    expect(failure('--qp', '-1')).toBe('--qp must be an integer from 0 to 51, got -1');
    expect(failure('--qp', '27.5')).toBe('--qp must be an integer from 0 to 51, got 27.5');
    expect(failure('--qp', 'high')).toBe('--qp must be an integer from 0 to 51, got "high"');
    expect(failure('--qp-min=0x10')).toBe('--qp-min must be an integer from 0 to 51, got "0x10"');
    expect(failure('--frames', '0')).toBe('--frames must be an integer of at least 1, got 0');
    expect(failure('--offset', '1e3')).toBe('--offset must be an integer, got "1e3"');
    expect(failure('--bitrate', 'fast')).toBe('--bitrate must be an integer of at least 1 (k and M suffixes allowed), got "fast"');
    expect(parse('--qp', '0').options.qp).toBe(0);
    expect(parse('--qp', '51').options.qp).toBe(51);
  });
});

describe('parseInteger', () => {
  it('refuses values beyond the safe integer range', () => {
    expect(() => parseInteger('--n', '99999999999999999999')).toThrow('--n must be an integer, got 99999999999999999999');
  });

  it('names the bound when only a maximum is given', () => {
    expect(() => parseInteger('--n', '5', { max: 4 })).toThrow('--n must be an integer of at most 4, got 5');
  });
});

describe('suggestion', () => {
  it('proposes the closest name within two edits', () => {
    expect(suggestion('qpp', ['qp', 'qp-min', 'gop'])).toBe(' (did you mean --qp?)');
    expect(suggestion('encod', ['encode'], '')).toBe(' (did you mean encode?)');
    expect(suggestion('bitrate', ['qp', 'gop'])).toBe('');
  });
});
