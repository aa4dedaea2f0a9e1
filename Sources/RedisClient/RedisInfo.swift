/// Parsing of `INFO` output (`INFO PERSISTENCE`, `INFO MEMORY`, `INFO STATS`, …).
package enum RedisInfo {
    /// Turns `INFO` text into a dictionary of its `key:value` lines.
    ///
    /// Section headers (`# Memory`), blank lines and lines without `:` are ignored; the value is
    /// everything after the first `:` (values such as `db0:keys=1,expires=0` keep their own colons
    /// and commas). Later duplicates win.
    ///
    /// - Parameter text: The bulk string `INFO` returned, with `\r\n` or `\n` line ends.
    package static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = rawLine.trimmingSuffix(while: { $0 == "\r" || $0 == " " })
            guard !line.isEmpty, !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else {
                continue
            }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }
}

extension Substring {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var end = endIndex
        while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
        return self[..<end]
    }
}

extension RedisConnection {
    /// Runs `INFO [section]` and parses it with ``RedisInfo/parse(_:)``.
    ///
    /// - Parameter section: e.g. `"persistence"`, `"memory"`, `"stats"`; `nil` for the default set.
    /// - Throws: ``RedisError`` as ``command(_:)`` does.
    package func info(_ section: String? = nil) async throws -> [String: String] {
        let reply = try await command(["INFO"] + (section.map { [$0] } ?? []))
        guard let text = reply.stringValue else {
            throw RedisError(
                .protocolError, server: url.server, command: "INFO",
                message: "expected a bulk string, got \(reply)")
        }
        return RedisInfo.parse(text)
    }
}
