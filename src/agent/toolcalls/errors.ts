// Errors of parser selection (a user's configuration mistake, never of model output: parsing never throws).
export class UnknownParserError extends Error {
  readonly userFacing = true;
  constructor(kind: 'tool' | 'reasoning', name: string, known: string[]) {
    super(`unknown ${kind} parser "${name}" (known: ${known.join(', ')})`);
    this.name = 'UnknownParserError';
  }
}
