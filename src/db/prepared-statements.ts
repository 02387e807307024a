/**
 * Named (prepared) statements for pg's Pool under Kysely. Kysely sends every query unnamed, so
 * PostgreSQL parses, analyses and plans each one anew: for our short OLTP statements that is most
 * of the server's work per statement (issue 17's event → reply latency on a shared two-core
 * machine). Named, each connection parses a statement once and reuses it; PostgreSQL re-plans it
 * by itself when a table it reads changes.
 *
 * Only statements with parameters that start with SELECT, INSERT, UPDATE, DELETE or WITH are
 * named (a statement without parameters may hold several, which only the simple protocol runs).
 * Names are given per SQL text, at most MAX_NAMED per process: the texts beyond run unnamed, so a
 * stream of distinct texts (IN lists of every length) cannot grow the server's memory without
 * bound. A statement PostgreSQL refuses to reuse (a table's columns changed under it: "cached plan
 * must not change result type") fails once and runs unnamed from then on.
 */
import type { Pool, PoolClient, QueryResult } from 'pg';

const MAX_NAMED = 400;
const NAMEABLE = /^\s*(select|insert|update|delete|with)\b/i;

export interface StatementNames {
  /** The name for a statement's text, or undefined to run it unnamed. */
  nameOf(text: string, parameterCount: number): string | undefined;
  /** Never name this text again. */
  forget(text: string): void;
  readonly size: number;
}

export function statementNames(max = MAX_NAMED): StatementNames {
  const names = new Map<string, string | null>();
  let next = 0;
  return {
    nameOf(text, parameterCount) {
      if (parameterCount === 0 || !NAMEABLE.test(text)) return undefined;
      const known = names.get(text);
      if (known !== undefined) return known ?? undefined;
      if (next >= max) return undefined;
      const name = `dj_${(next++).toString(36)}`;
      names.set(text, name);
      return name;
    },
    forget(text) {
      names.set(text, null);
    },
    get size() {
      return next;
    },
  };
}

const isStaleStatement = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === '0A000' && /cached plan must not change result type/.test(String((err as Error).message));

type KyselyPoolClient = {
  query(sql: string | object, parameters?: ReadonlyArray<unknown>): Promise<QueryResult> | unknown;
  release(destroy?: boolean): void;
};

/** `pool` as Kysely's PostgresDialect takes it, its clients naming statements per `names`. */
export function withNamedStatements(pool: Pool, names: StatementNames = statementNames()): { connect(): Promise<KyselyPoolClient>; end(): Promise<void> } {
  const wrap = (client: PoolClient): KyselyPoolClient => ({
    query(sqlOrCursor: string | object, parameters?: ReadonlyArray<unknown>) {
      if (typeof sqlOrCursor !== 'string') return client.query(sqlOrCursor as never);
      const values = parameters ? [...parameters] : [];
      const name = names.nameOf(sqlOrCursor, values.length);
      if (name === undefined) return client.query(sqlOrCursor, values);
      return client.query({ name, text: sqlOrCursor, values }).catch((err: unknown) => {
        if (isStaleStatement(err)) names.forget(sqlOrCursor);
        throw err;
      });
    },
    release: (destroy) => client.release(destroy),
  });
  return {
    connect: async () => wrap(await pool.connect()),
    end: () => pool.end(),
  };
}
