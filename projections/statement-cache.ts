/** Prepares each distinct SQL text once per database: for query classes whose SQL depends on the filters given. */
import type Database from 'better-sqlite3';

export type PreparedStatements = (sql: string) => Database.Statement;

export function statementCache(db: Database.Database): PreparedStatements {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
