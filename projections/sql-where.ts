/** A WHERE clause built from optional filters, with its bound parameters in order (queries, not reducers). */
export class SqlWhere {
  private readonly clauses: string[] = [];
  readonly params: (string | number)[] = [];

  add(clause: string, ...values: (string | number)[]): this {
    this.clauses.push(clause);
    this.params.push(...values);
    return this;
  }

  /** `WHERE a AND b`, or '' when no filter was added. */
  toString(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

/** A LIKE pattern matching `text` anywhere, where `%`, `_` and `\` in the text match themselves (use ESCAPE '\'). */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
