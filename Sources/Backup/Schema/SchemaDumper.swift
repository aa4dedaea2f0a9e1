import OpsCore
import PGClient

/// Rebuilds a database's schema from the catalogs as a pg_dump-compatible plain script, split into
/// pg_dump's sections, using the server's own deparsers (`format_type`, `pg_get_expr`,
/// `pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`, `pg_get_triggerdef`, `pg_get_functiondef`,
/// `pg_get_partkeydef`, `pg_get_statisticsobjdef`). Every name in the SQL is schema-qualified and quoted by
/// the server, since the script runs with an empty `search_path`, as pg_dump's does.
///
/// Supported (everything outside `pg_*` and `information_schema`, except extension members):
/// - schemas (owner, comment, privileges; `public`'s comment, owner and privileges when changed),
/// - extensions (`CREATE EXTENSION IF NOT EXISTS … WITH SCHEMA …`, comment; objects they own are skipped),
/// - enum, domain (collation, default, NOT NULL, CHECK constraints, NOT VALID ones in post-data),
///   composite and range types (without a canonical function),
/// - functions, procedures and window functions (`pg_get_functiondef`),
/// - sequences (type, options, `UNLOGGED`, `OWNED BY`, identity columns, `setval` in `sequenceSets`),
/// - tables: `UNLOGGED`, columns (type, collation, default, NOT NULL, stored generated columns, identity,
///   statistics target, storage, compression, attribute options), CHECK constraints, storage parameters,
///   `REPLICA IDENTITY`, `CLUSTER ON`; partitioned tables and partitions (`CREATE TABLE` +
///   `ATTACH PARTITION`, as pg_dump 15 writes them),
/// - PRIMARY KEY, UNIQUE, EXCLUDE and FOREIGN KEY constraints, indexes (partial, expression, any access
///   method; partitioned indexes with `ALTER INDEX … ATTACH PARTITION`), extended statistics,
/// - views (check option, options, column defaults), materialized views (`WITH NO DATA`, refreshed in
///   `finalize` when populated in the source), triggers (including constraint triggers and their
///   enabled/disabled state), comments on all of these and their columns and constraints,
/// - ownership and privileges (table, column, sequence, function, type, schema, default privileges), unless
///   `DumpOptions.noOwner` / `noPrivileges`.
///
/// Rejected with `OpsError(.jobFailed, "cannot back up <kind> <name>: not supported by auto-i18n-ops backup")`:
/// rules other than views' bodies, row-level security and policies, event triggers, foreign tables,
/// foreign-data wrappers and servers, table inheritance outside partitioning, typed tables, relations in
/// non-default tablespaces or with a non-heap access method, aggregates, operators, operator classes and
/// families, casts, transforms, user collations, conversions, text search objects, procedural languages,
/// access methods, base and shell types, range types with a canonical function, publications,
/// subscriptions, large objects, security labels, extensions with configuration tables, and (unless
/// `noPrivileges`) extension members whose privileges changed after `CREATE EXTENSION`.
package struct SchemaDumper: Sendable {
    package let connection: PostgresConnection
    package let options: DumpOptions

    /// pg_dump 15's plain-format header. The two last SETs are the ones pg_dump writes before its first
    /// table, so a target database with other defaults still gets heap tables in its default tablespace.
    static let preamble = """
        SET statement_timeout = 0;
        SET lock_timeout = 0;
        SET idle_in_transaction_session_timeout = 0;
        SET client_encoding = 'UTF8';
        SET standard_conforming_strings = on;
        SELECT pg_catalog.set_config('search_path', '', false);
        SET check_function_bodies = false;
        SET xmloption = content;
        SET client_min_messages = warning;
        SET row_security = off;
        SET default_tablespace = '';
        SET default_table_access_method = heap;

        """

    /// - Parameters:
    ///   - connection: the connection holding the backup's snapshot transaction.
    ///   - options: owner, privilege and table-data options.
    package init(connection: PostgresConnection, options: DumpOptions = DumpOptions()) {
        self.connection = connection
        self.options = options
    }

    /// Reads the catalogs (call inside the backup's REPEATABLE READ snapshot transaction) and returns the plan.
    ///
    /// The session's `search_path` and `IntervalStyle` are switched to `''` and `postgres` while the
    /// catalogs are read, so the deparsers qualify every name and print values as pg_dump does, and
    /// restored afterwards.
    ///
    /// - Throws: `OpsError(.jobFailed)` naming an object the dump cannot reproduce, or a dependency cycle;
    ///   `OpsError(.usage)` for a malformed `excludeTableData` pattern; `PostgresError` from the server.
    package func plan() async throws -> DumpPlan {
        let version = try await connection.serverVersion()
        guard version >= 150000 else {
            throw OpsError(.jobFailed, "cannot back up: the schema dumper needs PostgreSQL 15 or later, the server runs \(version / 10000).\(version % 10000)")
        }
        // Patterns match as pg_dump matches them: before its search_path is emptied.
        let excluded = try await excludedTableData()
        let saved = try await connection.query("""
            SELECT current_setting('search_path') AS search_path, current_setting('IntervalStyle') AS interval_style,
                   current_setting('client_encoding') AS client_encoding
            """).first
        // The script is UTF-8 text (its preamble says so, and Swift strings are UTF-8): catalog text and the
        // COPY data must arrive in UTF-8 too, whatever the database's encoding.
        let encoding = saved?["client_encoding"] ?? "?"
        guard encoding == "UTF8" else {
            throw OpsError(.jobFailed, "cannot back up: the connection's client_encoding is \(encoding); the backup needs UTF8 (set client_encoding=UTF8 on every backup connection)")
        }
        try await connection.query("SELECT set_config('search_path', '', false), set_config('IntervalStyle', 'postgres', false)")
        do {
            let plan = try await buildPlan(excluded: excluded)
            try await restoreSettings(saved)
            return plan
        } catch {
            try? await restoreSettings(saved)
            throw error
        }
    }

    private func restoreSettings(_ saved: PostgresRow?) async throws {
        guard let saved else { return }
        try await connection.query("SELECT set_config('search_path', $1, false), set_config('IntervalStyle', $2, false)",
                                   [saved["search_path"] ?? "", saved["interval_style"] ?? "postgres"])
    }

    private func buildPlan(excluded: Set<Int64>) async throws -> DumpPlan {
        let unsupported = try await CatalogSnapshot.unsupportedObjects(connection, checkExtensionPrivileges: !options.noPrivileges)
        if let first = unsupported.first {
            let more = unsupported.count > 1 ? " (and \(unsupported.count - 1) more: \(unsupported.dropFirst().prefix(5).joined(separator: ", ")))" : ""
            throw OpsError(.jobFailed, "cannot back up \(first): not supported by auto-i18n-ops backup\(more)")
        }
        var catalog = CatalogSnapshot()
        try await catalog.readSchemas(connection)
        try await catalog.readExtensions(connection)
        try await catalog.readTypes(connection)
        try await catalog.readFunctions(connection)
        try await catalog.readSequences(connection)
        try await catalog.readRelations(connection)
        try await catalog.readConstraints(connection)
        try await catalog.readIndexes(connection)
        try await catalog.readTriggers(connection)
        try await catalog.readStatistics(connection)
        if !options.noPrivileges { try await catalog.readPrivileges(connection) }
        try await catalog.readDependencies(connection)

        var builder = Builder(catalog: catalog, options: options)
        builder.addAll()
        let ordered = try builder.graph.ordered()

        let tables = catalog.relations
            .filter { $0.kind == "r" && !excluded.contains($0.oid) }
            .map { relation in
                let columns = relation.columns.filter { $0.generated == nil }.map(\.ident)
                return DumpPlan.Table(schema: relation.schema, name: relation.name, qualifiedName: relation.qname,
                                      columnList: columns.isEmpty ? "" : "(\(columns.joined(separator: ", ")))",
                                      estimatedBytes: relation.size)
            }
        let sequenceSets = catalog.sequences
            .filter { !excluded.contains($0.oid) }
            .compactMap { sequence -> DumpPlan.Item? in
                guard let lastValue = sequence.lastValue, let isCalled = sequence.isCalled else { return nil }
                var item = DumpPlan.Item(kind: "SEQUENCE SET", schema: sequence.schema, name: sequence.name,
                                         sql: "SELECT pg_catalog.setval(\(sequence.qnameLiteral), \(lastValue), \(isCalled));\n")
                item.id = "pg_class:\(sequence.oid):setval"
                return item
            }
        let finalize = refreshes(ordered, builder: builder)
        let items = DumpGraph.items(ordered)
        func section(_ section: DumpGraph.Section) -> [DumpPlan.Item] {
            ordered.filter { $0.section == section }.compactMap { items[$0.key] }
        }
        return DumpPlan(preamble: Self.preamble, preData: section(.preData), tables: tables, sequenceSets: sequenceSets,
                        postData: section(.postData), finalize: finalize)
    }

    /// `REFRESH MATERIALIZED VIEW` of the views populated in the source, in dependency order, each
    /// depending on the refreshes of the materialized views it reads, directly or through views.
    private func refreshes(_ ordered: [DumpGraph.Node], builder: Builder) -> [DumpPlan.Item] {
        var reads: [DumpGraph.Key: Set<DumpGraph.Key>] = [:]
        var items: [DumpPlan.Item] = []
        for node in ordered {
            var matviews = Set<DumpGraph.Key>()
            for dependency in node.dependencies {
                matviews.formUnion(reads[dependency] ?? [])
                if builder.graph.node(dependency)?.kind == "MATERIALIZED VIEW" { matviews.insert(dependency) }
            }
            reads[node.key] = matviews
            guard node.kind == "MATERIALIZED VIEW", let relation = builder.relation(node.key.oid), relation.isPopulated else { continue }
            var item = DumpPlan.Item(kind: "REFRESH MATERIALIZED VIEW", schema: relation.schema, name: relation.name,
                                     sql: "REFRESH MATERIALIZED VIEW \(relation.qname);\n")
            item.id = "\(node.id):refresh"
            item.dependencies = matviews.filter { builder.relation($0.oid)?.isPopulated == true }
                .map { "pg_class:\($0.oid):refresh" }.sorted()
            items.append(item)
        }
        return items
    }

    /// OIDs of the relations `options.excludeTableData` names, matched by the server exactly as pg_dump
    /// matches them (`~` on anchored regular expressions; visibility in the current `search_path` for
    /// unqualified patterns).
    func excludedTableData() async throws -> Set<Int64> {
        var excluded: Set<Int64> = []
        for text in options.excludeTableData {
            let pattern = try TableNamePattern(text)
            if let database = pattern.databaseName {
                let current = try await connection.query("SELECT current_database() AS name").first?["name"]
                guard database == current else {
                    throw OpsError(.usage, "cross-database references are not implemented: \(text)")
                }
            }
            let rows = try await connection.query("""
                SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p')
                  AND c.relname OPERATOR(pg_catalog.~) $1 COLLATE pg_catalog.default
                  AND CASE WHEN $2::pg_catalog.text IS NULL THEN pg_catalog.pg_table_is_visible(c.oid)
                           ELSE n.nspname OPERATOR(pg_catalog.~) $2 COLLATE pg_catalog.default END
                """, [pattern.nameRegex, pattern.schemaRegex])
            for row in rows.rows { excluded.insert(try row.int64("oid")) }
        }
        return excluded
    }
}
