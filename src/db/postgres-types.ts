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
