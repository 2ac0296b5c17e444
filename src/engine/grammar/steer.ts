// The budget rule: when the tokens left are about what the open structure needs to close, the grammar's mask is
// narrowed to one token per step along a short path to the end (close the string, close the containers, fill what
// is required with the shortest values, stop), so a constrained answer is never cut off mid-JSON.
//
// The path is found greedily with token classes in order of preference, and measured by walking the matcher forward
// and rolling it back; steering starts once that path no longer fits comfortably in what is left.

/** Token classes, most preferred first when steering. */
const enum Cls {
  Stop = 0,
  QuoteCloser = 1, // '"}' '"]' '"}}' ...: ends a string and a container
  Quote = 2, // '"'
  Closer = 3, // '}' ']' '}}' ...
  Single = 4, // one visible character
  Space = 5, // one whitespace character
  Markup = 6, // '</...' or '\n</...': closes an XML-style element
  Delim = 7, // '<|...': opens Gemma 4's string delimiter <|"|>
  Lt = 8, // '<' alone (the delimiter's first character)
  Other = 9,
}
const CLASS_COUNT = 10;

/**
 * Class order while steering: JSON closes quotes and brackets first; XML-style parameters close their element
 * (after the newline that ends a value: Space right after Markup); Gemma 4 closes a string with its delimiter
 * (a string never holds "<|", so after it the delimiter's rest is forced), then brackets.
 */
export const STEER_ORDER = {
  json: [Cls.Stop, Cls.QuoteCloser, Cls.Quote, Cls.Closer, Cls.Single, Cls.Lt, Cls.Space, Cls.Markup],
  xml: [Cls.Stop, Cls.Markup, Cls.Space, Cls.QuoteCloser, Cls.Quote, Cls.Closer, Cls.Single, Cls.Lt],
  gemma: [Cls.Stop, Cls.Delim, Cls.Lt, Cls.Closer, Cls.QuoteCloser, Cls.Quote, Cls.Single, Cls.Space, Cls.Markup],
} as const;
export type SteerStyle = keyof typeof STEER_ORDER;

/**
 * A style's closing text that may take several tokens with other choices open between them (Gemma 4's string
 * delimiter: after "<" a string could go on). Steering spells it out: the rest of it when the output ends with
 * its beginning, else the whole of it, in the longest tokens the mask allows.
 */
export const STEER_CLOSER: Partial<Record<SteerStyle, string>> = { gemma: '<|"|>' };

export interface TokenClasses {
  /** Ids of each class, ascending. */
  byClass: Int32Array[];
  /** A token for each text (the lowest id), to follow a forced continuation in as few tokens as possible. */
  byText: Map<string, number>;
  /** Each token's text ('' for stop tokens). */
  texts: string[];
}

export function tokenClasses(vocabSize: number, text: (id: number) => string, stopIds: ReadonlySet<number>): TokenClasses {
  const lists: number[][] = Array.from({ length: CLASS_COUNT }, () => []);
  const byText = new Map<string, number>();
  const texts: string[] = new Array<string>(vocabSize);
  for (let id = 0; id < vocabSize; id++) {
    let c: Cls;
    const t = stopIds.has(id) ? '' : text(id);
    texts[id] = t;
    if (t && !t.includes('\uFFFD') && !byText.has(t)) byText.set(t, id);
    if (stopIds.has(id)) c = Cls.Stop;
    else if (t === '"') c = Cls.Quote;
    else if (/^"[}\]]+$/.test(t)) c = Cls.QuoteCloser;
    else if (/^[}\]]+$/.test(t)) c = Cls.Closer;
    else if (t === '<') c = Cls.Lt;
    else if ([...t].length === 1) c = /\s/.test(t) ? Cls.Space : Cls.Single;
    else if (/^\n?<\//.test(t)) c = Cls.Markup;
    else if (t.startsWith('<|')) c = Cls.Delim;
    else c = Cls.Other;
    lists[c]!.push(id);
  }
  return { byClass: lists.map((l) => Int32Array.from(l)), byText, texts };
}

function allowed(mask: Int32Array, id: number): boolean {
  return ((mask[id >>> 5]! >>> (id & 31)) & 1) === 1;
}

/** The longest token spelling a prefix of `forced` (the grammar's only possible continuation), or -1. */
function forcedToken(classes: TokenClasses, mask: Int32Array, forced: string): number {
  for (let len = Math.min(forced.length, 32); len > 0; len--) {
    const id = classes.byText.get(forced.slice(0, len));
    if (id !== undefined && allowed(mask, id)) return id;
  }
  return -1;
}

/**
 * The preferred allowed token under the mask, or -1 when the mask allows nothing. `forced` is the text the grammar
 * allows no alternative to (XGrammar's jump-forward string): taken in the longest tokens available.
 */
export function preferredToken(
  classes: TokenClasses,
  mask: Int32Array,
  forced = '',
  order: readonly Cls[] = STEER_ORDER.json,
  banned: ReadonlySet<number> = new Set(),
): number {
  if (forced) {
    const id = forcedToken(classes, mask, forced);
    if (id >= 0) return id;
  }
  for (const c of order) {
    for (const id of classes.byClass[c]!) if (!banned.has(id) && allowed(mask, id)) return id;
  }
  for (let w = 0; w < mask.length; w++) {
    const bits = mask[w]!;
    if (bits !== 0) return w * 32 + (31 - Math.clz32(bits & -bits));
  }
  return -1;
}

/** A steered path's state: the repeat guard, and the output's end for the closing text. */
interface Run {
  last: number;
  count: number;
  banned: Set<number>;
  tail: string;
}

/** The parts of XGrammar's matcher the steering walks (kept small so tests can drive it with a fake). */
export interface SteerMatcher {
  getNextTokenBitmask(): Promise<Int32Array>;
  acceptToken(token: number): boolean;
  isTerminated(): boolean;
  rollBack(tokens: number): void;
  findJumpForwardString(): string;
}

export class BudgetSteer {
  /** The longest path measured; a structure needing more than this is steered from this many tokens before the end. */
  static readonly MAX_PATH = 192;
  /** Steering starts when the path plus this margin no longer fits. */
  static readonly MARGIN = 2;
  /** The most room kept for what one token may commit to (see apply). */
  static readonly MAX_JUMP = 96;
  /** Within this many tokens of the last measured path's limit, the path is measured at every token. */
  static readonly BAND = 16;
  /** Elsewhere in the last MAX_PATH tokens, it is measured this often. */
  static readonly EVERY = 4;
  /** The path from the grammar's start, measured at the first step (-1 until then). */
  private jump = -1;
  private generated = 0;
  private steering = false;
  private lastPath = 0;
  private lastMeasuredAt = -Infinity;

  constructor(
    private readonly classes: TokenClasses,
    private readonly maxTokens: number,
    private readonly order: readonly Cls[] = STEER_ORDER.json,
    private readonly closer = '',
  ) {}

  /** A token spelling (the rest of) the closing text, or -1. */
  private closerToken(mask: Int32Array, run: Run): number {
    for (let k = Math.min(run.tail.length, this.closer.length - 1); k >= 0; k--) {
      if (!run.tail.endsWith(this.closer.slice(0, k))) continue;
      const id = forcedToken(this.classes, mask, this.closer.slice(k));
      if (id >= 0 && !run.banned.has(id)) return id;
    }
    return -1;
  }

  /**
   * The steered token. A token picked REPEAT_LIMIT times in a row is not making progress (a '"]' that is only
   * content inside an XML value, a '</' inside a JSON string): it is banned for the rest of the path.
   */
  private pick(mask: Int32Array, forced: string, run: Run): number {
    // Ending comes first; then the closing text (unless the grammar forces other text).
    const closing = this.closer && !forced && !this.classes.byClass[Cls.Stop]!.some((s) => allowed(mask, s)) ? this.closerToken(mask, run) : -1;
    const id = closing >= 0 ? closing : preferredToken(this.classes, mask, forced, this.order, run.banned);
    if (id === run.last) {
      if (++run.count >= BudgetSteer.REPEAT_LIMIT) run.banned.add(id);
    } else {
      run.last = id;
      run.count = 1;
    }
    return id;
  }
  static readonly REPEAT_LIMIT = 3;
  private readonly run: Run = { last: -1, count: 0, banned: new Set<number>(), tail: '' };

  /** Keeps the end of the output (as long as the closing text) that the closer continues. */
  private follow(run: Run, id: number): void {
    if (this.closer) run.tail = (run.tail + (this.classes.texts[id] ?? '')).slice(-this.closer.length);
  }

  /** The output took `token` (sampled freely or steered). */
  accepted(token: number): void {
    this.generated++;
    this.follow(this.run, token);
  }

  get remaining(): number {
    return this.maxTokens - this.generated;
  }

  /** Narrows `mask` in place to the steered token when the budget requires it; returns whether it did. */
  async apply(matcher: SteerMatcher, mask: Int32Array): Promise<boolean> {
    const left = this.remaining;
    if (this.jump < 0) {
      // The path from the grammar's start (a whole call, a whole answer) is how much one token can commit to at
      // most, e.g. the separator that opens another call when the last one has just closed: steering keeps room
      // for it, so no such token is taken when what it commits to would not fit.
      this.jump = Math.min(await this.measure(matcher), BudgetSteer.MAX_JUMP);
    }
    const reserve = BudgetSteer.MARGIN + this.jump;
    if (!this.steering && left <= BudgetSteer.MAX_PATH + reserve) {
      // Re-measure every token near the last measure's limit, else every few tokens.
      if (left <= this.lastPath + reserve + BudgetSteer.BAND || this.generated - this.lastMeasuredAt >= BudgetSteer.EVERY) {
        this.lastPath = await this.measure(matcher);
        this.lastMeasuredAt = this.generated;
      }
      if (this.lastPath + reserve >= left) this.steering = true;
    }
    if (!this.steering) return false;
    const id = this.pick(mask, matcher.findJumpForwardString(), this.run);
    if (id < 0) return false;
    mask.fill(0);
    mask[id >>> 5] = 1 << (id & 31);
    return true;
  }

  /** Tokens the steered path takes from the matcher's state to the end (MAX_PATH when it does not end by then). */
  private async measure(matcher: SteerMatcher): Promise<number> {
    let steps = 0;
    const run: Run = { last: -1, count: 0, banned: new Set<number>(), tail: this.run.tail };
    while (!matcher.isTerminated() && steps < BudgetSteer.MAX_PATH) {
      const id = this.pick(await matcher.getNextTokenBitmask(), matcher.findJumpForwardString(), run);
      if (id < 0 || !matcher.acceptToken(id)) break;
      this.follow(run, id);
      steps++;
    }
    const ended = matcher.isTerminated();
    if (steps > 0) matcher.rollBack(steps);
    return ended ? steps : BudgetSteer.MAX_PATH;
  }
}
