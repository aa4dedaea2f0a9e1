/// Why a session cannot be imported: the file (relative to the tree), the line for JSON and JSONL, and
/// a reason a human can act on. Thrown anywhere in a session's work; the session's transaction rolls
/// back and the run goes on with the next session.
package struct ImportRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    package var file: String
    package var line: Int?
    package var reason: String

    package init(file: String, line: Int? = nil, _ reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    package var description: String {
        "\(file)\(line.map { " line \($0)" } ?? ""): \(reason)"
    }
}
