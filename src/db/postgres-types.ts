/**
 * The migrations are written once, in SQLite's terms ('integer' primary keys with autoIncrement,
 * 'integer' epoch milliseconds, 'real' points). On PostgreSQL this plugin rewrites their column
 * types as the schema is created: an autoincrement key becomes a bigint identity, 'integer' becomes
 * bigint (epoch milliseconds overflow int4) and 'real' becomes double precision (float4 would round
 * points). Only schema statements are touched; everything else passes through unchanged.
 */
import {
  ColumnDefinitionNode,
  DataTypeNode,
  GeneratedNode,
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Dialect,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

const RENAMED: Record<string, 'bigint' | 'double precision'> = { integer: 'bigint', real: 'double precision' };

class PostgresColumnTypes extends OperationNodeTransformer {
  protected override transformColumnDefinition(node: ColumnDefinitionNode): ColumnDefinitionNode {
    const n = super.transformColumnDefinition(node);
    if (!DataTypeNode.is(n.dataType)) return n;
    if (n.autoIncrement) {
      // By default (not always): `db copy` inserts rows with their ids, then moves the sequence on.
      return { ...n, dataType: DataTypeNode.create('bigint'), autoIncrement: undefined, generated: GeneratedNode.create({ byDefault: true, identity: true }) };
    }
    const renamed = RENAMED[n.dataType.dataType];
    return renamed === undefined ? n : { ...n, dataType: DataTypeNode.create(renamed) };
  }
}

const transformer = new PostgresColumnTypes();

export const postgresTypesPlugin: KyselyPlugin = {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const kind = args.node.kind;
    return kind === 'CreateTableNode' || kind === 'AlterTableNode' ? transformer.transformNode(args.node) : args.node;
  },
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  },
};

/**
 * PostgreSQL's introspector scoped to the connection's own schema (search_path). Kysely's
 * migrator asks it whether its tables exist; the stock one lists every table of every schema,
 * which is slow on a shared server and fails while another schema is being dropped.
 */
class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<any>) {}
  async getSchemas(): Promise<SchemaMetadata[]> {
    const r = await sql<{ name: string }>`select current_schema() as name`.execute(this.db);
    return r.rows.filter((x) => x.name !== null);
  }
  async getTables(): Promise<TableMetadata[]> {
    const r = await sql<{ name: string; schema: string; is_view: boolean }>`
      select c.relname as name, n.nspname as schema, c.relkind = 'v' as is_view
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'v', 'p') order by c.relname`.execute(this.db);
    return r.rows.map((t) => ({ name: t.name, schema: t.schema, isView: t.is_view, columns: [] }));
  }
  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

/** A PostgreSQL dialect (pg's Pool or PGlite) with the schema-scoped introspector. */
export function withCurrentSchemaIntrospector(inner: Dialect): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createDriver: () => inner.createDriver(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => new CurrentSchemaIntrospector(db),
  };
}
