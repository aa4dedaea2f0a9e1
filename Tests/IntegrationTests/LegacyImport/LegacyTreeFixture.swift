import Foundation
import OpsCore
import OpsSupport
import Testing

/// A tree made by `Scripts/bench/gen-legacy-tree.py` and what the generator says it holds (the tests'
/// oracle: it knows every file's SHA-256 and every request's status without asking the importer).
struct LegacyTreeFixture {
    let root: URL
    let expect: JSONValue

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Generates a small tree (files 200 B–3 KB, JSONL 1–20 KB).
    static func make(seed: Int, sessions: Int, expired: Int = 0, faults: [String] = []) async throws -> LegacyTreeFixture {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-\(UUID().uuidString)")
        let root = base.appendingPathComponent("tmp")
        let expectFile = base.appendingPathComponent("expect.json")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let arguments = ["python3", repositoryRoot.appendingPathComponent("Scripts/bench/gen-legacy-tree.py").path, root.path,
                         "--seed", "\(seed)", "--sessions", "\(sessions)", "--expired", "\(expired)",
                         "--file-min", "200", "--file-max", "3000", "--jsonl-min", "1000", "--jsonl-max", "20000",
                         "--expect", expectFile.path] + faults.flatMap { ["--fault", $0] }
        // Waited for off the cooperative pool (see `CLI.run`).
        let status = try await BlockingIO.run(name: "test-legacy-gen") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        try #require(status == 0, "gen-legacy-tree.py failed")
        let expect = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: expectFile))
        return LegacyTreeFixture(root: root, expect: expect)
    }

    func remove() { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }

    var sessions: [JSONValue] { if case .array(let items)? = expect["sessions"] { return items }; return [] }

    /// Sessions the importer should write by default: not expired, no fault.
    var importable: [JSONValue] { sessions.filter { $0["expired"] == .bool(false) && $0["fault"] == .null } }

    static func array(_ value: JSONValue?) -> [JSONValue] { if case .array(let items)? = value { return items }; return [] }
}

extension JSONValue {
    var string: String { stringValue ?? "" }
}
