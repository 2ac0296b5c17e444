// Reads a command line the way the program itself does (getopt/pflag/nopt style): combined short flags
// (-itv), glued short values (-v/:/host, -v=/:/host), --flag=value and --flag value. The validator's rules
// then look at options, never at raw argument strings, so every spelling of an option is one option.

/** How one program parses its options. */
export interface OptionSpec {
  /** Short letters that take a value: the rest of the cluster (an '=' in front dropped), else the next argument. */
  shortValue: string;
  /** Long names (without '--') that take a value. */
  longValue: ReadonlySet<string>;
  /**
   * Long names known to take no value. A long name in neither set is ambiguous: when the next argument does
   * not start with '-', it is read as that option's value and also remembered as a possible command.
   */
  longBool: ReadonlySet<string>;
  /** Several letters after one '-' are several flags (-abc = -a -b -c). False: '-abc' is one flag named 'abc'. */
  clusters: boolean;
}

export interface ParsedOption {
  /** 'v' for -v, 'volume' for --volume. */
  name: string;
  long: boolean;
  value?: string;
  /** The argument(s) as written, for messages. */
  raw: string;
}

export interface ParsedArgs {
  options: ParsedOption[];
  /** Index of the first positional argument (args.length when there is none). */
  positional: number;
  /** Indexes that may be the command the program runs: the first positional and values of ambiguous options. */
  candidates: number[];
}

export function spec(shortValue: string, longValue: readonly string[], longBool: readonly string[] = [], clusters = true): OptionSpec {
  return { shortValue, longValue: new Set(longValue), longBool: new Set(longBool), clusters };
}

/** Parses options from `start` up to the first positional argument or '--'. */
export function parseOptions(args: readonly string[], s: OptionSpec, start = 0): ParsedArgs {
  const options: ParsedOption[] = [];
  const candidates: number[] = [];
  let i = start;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') {
      candidates.push(i + 1);
      return { options, positional: i + 1, candidates };
    }
    if (a === '-' || !a.startsWith('-')) {
      candidates.push(i);
      return { options, positional: i, candidates };
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = (eq >= 0 ? a.slice(2, eq) : a.slice(2)).toLowerCase();
      if (eq >= 0) {
        options.push({ name, long: true, value: a.slice(eq + 1), raw: a });
        i += 1;
      } else if (s.longValue.has(name)) {
        options.push({ name, long: true, value: args[i + 1] ?? '', raw: `${a} ${args[i + 1] ?? ''}` });
        i += 2;
      } else if (s.longBool.has(name) || i + 1 >= args.length || args[i + 1]!.startsWith('-')) {
        options.push({ name, long: true, raw: a });
        i += 1;
      } else {
        // Unknown arity: read the next argument as its value, but remember it may be the command.
        candidates.push(i + 1);
        options.push({ name, long: true, value: args[i + 1]!, raw: `${a} ${args[i + 1]!}` });
        i += 2;
      }
      continue;
    }
    if (!s.clusters) {
      options.push({ name: a.slice(1), long: false, raw: a });
      i += 1;
      continue;
    }
    const letters = a.slice(1);
    let consumedNext = false;
    for (let j = 0; j < letters.length; j++) {
      const ch = letters[j]!;
      if (!s.shortValue.includes(ch)) {
        options.push({ name: ch, long: false, raw: a });
        continue;
      }
      let glued = letters.slice(j + 1);
      if (glued.startsWith('=')) glued = glued.slice(1);
      if (glued !== '' || j + 1 < letters.length) {
        options.push({ name: ch, long: false, value: glued, raw: a });
      } else {
        options.push({ name: ch, long: false, value: args[i + 1] ?? '', raw: `${a} ${args[i + 1] ?? ''}` });
        consumedNext = true;
      }
      break;
    }
    i += consumedNext ? 2 : 1;
  }
  return { options, positional: args.length, candidates };
}

/** The first option among `names` (short letters or long names), if any. */
export function findOption(parsed: ParsedArgs, names: readonly string[]): ParsedOption | undefined {
  return parsed.options.find((o) => names.includes(o.name));
}
