import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A minimal element tree of an S3 XML response, built with Foundation's `XMLParser`.
struct XMLElementNode: Sendable {
    var name: String
    var text: String = ""
    var children: [XMLElementNode] = []

    func child(_ name: String) -> XMLElementNode? { children.first { $0.name == name } }
    func children(_ name: String) -> [XMLElementNode] { children.filter { $0.name == name } }
    func value(_ name: String) -> String? { child(name)?.text }

    /// Parses `data`; throws `S3Error(.failed)` naming `what` for malformed XML.
    static func parse(_ data: [UInt8], what: String) throws -> XMLElementNode {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(data))
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { String(describing: $0) } ?? "no root element"
            throw S3Error(.failed, "the store sent an unreadable \(what) response (\(reason))")
        }
        return root
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [XMLElementNode] = []
        var root: XMLElementNode?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            stack.append(XMLElementNode(name: elementName))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard let done = stack.popLast() else { return }
            if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
        }
    }
}

/// S3's `<Error>` document.
struct S3ErrorDocument: Sendable {
    var code: String?
    var message: String?
    var requestId: String?

    init(_ body: [UInt8]) {
        guard !body.isEmpty, let root = try? XMLElementNode.parse(body, what: "error"), root.name == "Error" else { return }
        code = root.value("Code")
        message = root.value("Message")
        requestId = root.value("RequestId")
    }
}

extension String {
    /// XML-escapes text content.
    var xmlEscaped: String {
        var out = ""
        for ch in self {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }
}

enum S3Date {
    /// S3's ISO 8601 timestamps, with or without fractional seconds.
    static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = withFraction.date(from: text) { return d }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }
}
