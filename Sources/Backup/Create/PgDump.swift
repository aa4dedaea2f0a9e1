import ArchiveIO
import Foundation
import PGClient

/// pg_dump, run as a child process on the backup's exported snapshot: it writes the schema (pre-data
/// and post-data sections) and the data-section items the backup does not copy itself (sequence values,
/// large objects, extension configuration tables), for every object kind pg_dump knows.
///
/// The connection goes to the child as libpq environment variables (`PGHOST`, `PGPORT`, `PGUSER`,
/// `PGDATABASE`, `PGSSLMODE`, …), the password in a temporary 0600 passfile that is removed when the
/// child exits: nothing of it appears in the process list. The child runs on a blocking-I/O thread.
struct PgDump: Sendable {
    /// The pg_dump binary.
    let path: String
    /// Its major version (15 for `pg_dump (PostgreSQL) 15.18 (Debian …)`).
    let major: Int

    /// The newest `/usr/lib/postgresql/N/bin/pg_dump` (Debian's layout), else `pg_dump` on `PATH`;
    /// `PG_DUMP` in the environment overrides both. Refuses a pg_dump older than the server, since it
    /// cannot dump a newer server's catalogs, naming the package that provides the right one.
    static func locate(serverVersionNumber: Int, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PgDump {
        let serverMajor = serverVersionNumber / 10000
        var candidates: [String] = []
        if let explicit = environment["PG_DUMP"], !explicit.isEmpty { candidates = [explicit] } else {
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
                .compactMap(Int.init).sorted(by: >)
            candidates = versions.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" }.filter(FileManager.default.isExecutableFile(atPath:))
            for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
                let path = "\(directory)/pg_dump"
                if FileManager.default.isExecutableFile(atPath: path) { candidates.append(path); break }
            }
        }
        guard let path = candidates.first else {
            throw BackupError(.usage, "backup needs pg_dump \(serverMajor) or newer and none was found; install postgresql-client-\(serverMajor)")
        }
        let output = try run(path: path, arguments: ["--version"], environment: environment)
        guard output.status == 0, let major = Self.major(ofVersionLine: String(decoding: output.stdout, as: UTF8.self)) else {
            throw BackupError(.usage, "\(path) --version failed (\(output.stderrLine)); install postgresql-client-\(serverMajor)")
        }
        guard major >= serverMajor else {
            throw BackupError(.usage, "\(path) is pg_dump \(major), older than the server (PostgreSQL \(serverMajor)); install postgresql-client-\(serverMajor)")
        }
        return PgDump(path: path, major: major)
    }

    /// `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → 15.
    static func major(ofVersionLine line: String) -> Int? {
        guard let range = line.range(of: "(PostgreSQL) ") else { return nil }
        let digits = line[range.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    /// Runs `pg_dump arguments` against `target` and returns its standard output.
    /// - Throws: `BackupError(.io)` with pg_dump's first error line.
    func dump(_ arguments: [String], target: PostgresConfiguration, label: String) throws -> [UInt8] {
        let (variables, password) = target.childEnvironment
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in variables { environment[name] = value }
        var passfile: String?
        if let password {
            // PGPASSWORD would win over the passfile: only ours applies.
            environment["PGPASSWORD"] = nil
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("auto-i18n-ops-pgpass-\(UUID().uuidString)").path
            let escaped = password.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
            let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw BackupError(.io, "backup failed: cannot create a temporary passfile for pg_dump: \(String(cString: strerror(errno)))") }
            let line = Array("*:*:*:*:\(escaped)\n".utf8)
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard written == line.count else {
                unlink(file)
                throw BackupError(.io, "backup failed: cannot write a temporary passfile for pg_dump")
            }
            passfile = file
            environment["PGPASSFILE"] = file
        }
        defer { if let passfile { unlink(passfile) } }
        let output = try Self.run(path: path, arguments: arguments, environment: environment)
        guard output.status == 0 else {
            if output.stderrLine.contains("could not obtain lock") {
                throw BackupError(.lockTimeout, "backup failed: pg_dump (\(label)) could not lock a table within the lock wait timeout: \(output.stderrLine)")
            }
            throw BackupError(.io, "backup failed: pg_dump (\(label)) exited with status \(output.status): \(output.stderrLine)")
        }
        return output.stdout
    }

    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]

        /// The first `error:` line of pg_dump's messages, else its last line.
        var stderrLine: String {
            let lines = String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
            let line = lines.first { $0.contains("error:") } ?? lines.last ?? "no message"
            return String(line.prefix(300))
        }
    }

    /// Runs a child with stdout read here and stderr collected in a temporary 0600 file (so neither
    /// pipe can fill up and block the child).
    static func run(path: String, arguments: [String], environment: [String: String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment
        let stdout = Pipe()
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("auto-i18n-ops-pg_dump-\(UUID().uuidString).err").path
        let errFD = open(errPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard errFD >= 0 else { throw BackupError(.io, "backup failed: cannot create a temporary file: \(String(cString: strerror(errno)))") }
        unlink(errPath)
        let errHandle = FileHandle(fileDescriptor: errFD, closeOnDealloc: true)
        process.standardOutput = stdout
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw BackupError(.io, "backup failed: cannot start \(path): \(error.localizedDescription)")
        }
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        lseek(errFD, 0, SEEK_SET)
        let err: Data = (try? errHandle.readToEnd()).flatMap { $0 } ?? Data()
        return Output(status: process.terminationStatus, stdout: [UInt8](data), stderr: [UInt8](err))
    }
}

/// pg_dump's plain output as a backup member: its text and the objects it holds, located by the
/// `-- Name: …; Type: …; Schema: …; Owner: …` comment pg_dump writes before each one.
enum PgDumpScript {
    /// The objects of `body`, each from the end of its header comment to the next header.
    static func items(in body: [UInt8]) -> [BackupManifest.Item] {
        var headers: [(kind: String, schema: String?, name: String, start: Int, commentStart: Int)] = []
        var lineStart = 0
        var previousStart = 0
        var pending: (kind: String, schema: String?, name: String, commentStart: Int)?
        var index = 0
        while index <= body.count {
            if index == body.count || body[index] == 0x0A {
                let line = body[lineStart..<index]
                if let parsed = parseHeader(line) {
                    pending = (parsed.kind, parsed.schema, parsed.name, previousStart)
                } else if let header = pending, line.elementsEqual([UInt8(ascii: "-"), UInt8(ascii: "-")]) {
                    headers.append((header.kind, header.schema, header.name, min(index + 1, body.count), header.commentStart))
                    pending = nil
                }
                previousStart = lineStart
                lineStart = index + 1
            }
            index += 1
        }
        var items: [BackupManifest.Item] = []
        for (position, header) in headers.enumerated() {
            let end = position + 1 < headers.count ? headers[position + 1].commentStart : trailerStart(body)
            items.append(BackupManifest.Item(kind: header.kind, schema: header.schema, name: header.name,
                                             offset: Int64(header.start), length: Int64(max(0, end - header.start))))
        }
        return items
    }

    /// `-- Name: t id; Type: DEFAULT; Schema: public; Owner: ops` and `-- Data for Name: …`.
    static func parseHeader(_ line: ArraySlice<UInt8>) -> (kind: String, schema: String?, name: String)? {
        let text = String(decoding: line, as: UTF8.self)
        let prefix: String
        if text.hasPrefix("-- Name: ") { prefix = "-- Name: " } else if text.hasPrefix("-- Data for Name: ") { prefix = "-- Data for Name: " } else { return nil }
        let rest = text.dropFirst(prefix.count)
        guard let type = rest.range(of: "; Type: ") else { return nil }
        let name = String(rest[..<type.lowerBound])
        let afterType = rest[type.upperBound...]
        guard let schemaRange = afterType.range(of: "; Schema: ") else { return nil }
        let kind = String(afterType[..<schemaRange.lowerBound])
        let afterSchema = afterType[schemaRange.upperBound...]
        let schema = afterSchema.range(of: "; ").map { String(afterSchema[..<$0.lowerBound]) } ?? String(afterSchema)
        return (kind, schema == "-" ? nil : schema, name)
    }

    /// Where `-- PostgreSQL database dump complete` starts (the items end there).
    private static func trailerStart(_ body: [UInt8]) -> Int {
        let marker = Array("--\n-- PostgreSQL database dump complete".utf8)
        guard body.count >= marker.count else { return body.count }
        var index = body.count - marker.count
        while index >= 0 {
            if body[index] == marker[0], body[index..<(index + marker.count)].elementsEqual(marker) { return index }
            index -= 1
        }
        return body.count
    }

    /// The `SET …` and `SELECT pg_catalog.set_config(…)` lines of pg_dump's header.
    static func preamble(of body: [UInt8]) -> String {
        var lines: [Substring] = []
        let text = String(decoding: body.prefix(8192), as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- Name: ") { break }
            if line.hasPrefix("SET ") || line.hasPrefix("SELECT pg_catalog.set_config(") { lines.append(line) }
        }
        return lines.map { $0 + "\n" }.joined()
    }
}

/// The three pg_dump runs of a backup, all on its exported snapshot.
struct PgDumpSections: Sendable {
    enum Section {
        case preData, postData
        /// The data section without the tables the backup copies itself.
        case data(excludingCopied: [BackupTable])
    }

    let pgDump: PgDump
    let target: PostgresConfiguration
    let snapshotID: String
    let options: BackupOptions

    func arguments(_ section: Section) -> [String] {
        let milliseconds = max(1, Int((options.lockWaitTimeout * 1000).rounded()))
        var arguments = ["--snapshot=\(snapshotID)", "--lock-wait-timeout=\(milliseconds)", "--encoding=UTF8", "--no-password"]
        if options.dump.noOwner { arguments.append("--no-owner") }
        if options.dump.noPrivileges { arguments.append("--no-privileges") }
        switch section {
        case .preData: arguments.append("--section=pre-data")
        case .postData: arguments.append("--section=post-data")
        case .data(let copied):
            arguments.append("--section=data")
            arguments += copied.map { "--exclude-table-data=\($0.exactPattern)" }
            arguments += options.dump.excludeTableData.map { "--exclude-table-data=\($0)" }
        }
        return arguments
    }

    /// `pg_dumpall --globals-only --no-role-passwords --no-tablespaces` (the binary beside pg_dump).
    func globals() throws -> [UInt8] {
        let directory = (pgDump.path as NSString).deletingLastPathComponent
        let tool = PgDump(path: directory.isEmpty ? "pg_dumpall" : (directory as NSString).appendingPathComponent("pg_dumpall"), major: pgDump.major)
        var arguments = ["--globals-only", "--no-role-passwords", "--no-tablespaces", "--no-password", "--encoding=UTF8"]
        if let database = target.database { arguments += ["--database", database] }
        return try tool.dump(arguments, target: target, label: "pg_dumpall --globals-only")
    }

    func run(_ section: Section) throws -> [UInt8] {
        let label: String
        switch section {
        case .preData: label = "pre-data"
        case .postData: label = "post-data"
        case .data: label = "data"
        }
        return try pgDump.dump(arguments(section), target: target, label: label)
    }
}
