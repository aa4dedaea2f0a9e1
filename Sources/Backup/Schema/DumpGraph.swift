import OpsCore

/// The objects of a dump and their dependencies, ordered like pg_dump orders its archive: a topological
/// sort that, among the objects whose dependencies are already placed, takes the lowest kind priority
/// first (schemas, extensions, types, functions, sequences, tables, views, …), then schema and name.
///
/// Sections are decided after ordering: an object is post-data when it is post-data itself or depends on
/// anything that is (e.g. a view whose `GROUP BY` relies on a primary key), so splitting the order into
/// pre-data and post-data keeps every dependency in front of its dependents.
struct DumpGraph {
    enum Section: Int, Comparable, Sendable {
        case preData = 0
        case postData = 1
        static func < (lhs: Section, rhs: Section) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One node: a catalog object, or a statement about it that must run separately (`part`).
    struct Key: Hashable, Sendable {
        var catalog: String
        var oid: Int64
        var part: String = ""

        init(_ catalog: String, _ oid: Int64, part: String = "") {
            self.catalog = catalog
            self.oid = oid
            self.part = part
        }

        init(_ ref: CatalogRef) { self.init(ref.catalog, ref.oid) }
    }

    struct Node: Sendable {
        var key: Key
        var kind: String
        var schema: String?
        var name: String
        var sql: String
        var section: Section
        /// Kind order among independent objects, after pg_dump's `dbObjectTypePriority`.
        var priority: Int
        var dependencies: Set<Key> = []

        var id: String { key.part.isEmpty ? "\(key.catalog):\(key.oid)" : "\(key.catalog):\(key.oid):\(key.part)" }
    }

    private(set) var nodes: [Key: Node] = [:]

    mutating func add(_ node: Node) { nodes[node.key] = node }

    func contains(_ key: Key) -> Bool { nodes[key] != nil }

    func node(_ key: Key) -> Node? { nodes[key] }

    /// Records that `dependent` must come after `dependency`; ignored when either is not dumped.
    mutating func addDependency(_ dependent: Key, on dependency: Key) {
        guard dependent != dependency, nodes[dependency] != nil else { return }
        nodes[dependent]?.dependencies.insert(dependency)
    }

    /// The plan items of `ordered` nodes that have SQL, each listing the items of its own section it
    /// depends on, directly or through nodes without SQL (such as an unchanged `public` schema).
    static func items(_ ordered: [Node]) -> [Key: DumpPlan.Item] {
        let byKey = Dictionary(ordered.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var reachable: [Key: Set<Key>] = [:]
        var items: [Key: DumpPlan.Item] = [:]
        // `ordered` is topological, so every dependency's set is known when a node is reached.
        for node in ordered {
            var dependencies = Set<Key>()
            for dependency in node.dependencies {
                guard let other = byKey[dependency] else { continue }
                if other.sql.isEmpty { dependencies.formUnion(reachable[dependency] ?? []) } else { dependencies.insert(dependency) }
            }
            reachable[node.key] = dependencies
            guard !node.sql.isEmpty else { continue }
            var item = DumpPlan.Item(kind: node.kind, schema: node.schema, name: node.name, sql: node.sql)
            item.id = node.id
            item.dependencies = dependencies.compactMap { byKey[$0] }.filter { $0.section == node.section }.map(\.id).sorted()
            items[node.key] = item
        }
        return items
    }

    /// The nodes in dependency order, each with its effective section.
    ///
    /// - Throws: `OpsError(.jobFailed)` naming the objects of a dependency cycle.
    func ordered() throws -> [Node] {
        // The result carries each node's dependencies filtered to dumped nodes, for `items(_:)`.
        var remaining: [Key: Int] = [:]
        var dependents: [Key: [Key]] = [:]
        var ready = Heap<Node>(by: Self.precedes)
        for var node in nodes.values {
            // Dependencies on objects that are not dumped (other extensions' members, system objects) drop out.
            node.dependencies = node.dependencies.filter { nodes[$0] != nil && $0 != node.key }
            remaining[node.key] = node.dependencies.count
            for dependency in node.dependencies { dependents[dependency, default: []].append(node.key) }
            if node.dependencies.isEmpty { ready.push(node) }
        }
        var result: [Node] = []
        var sections: [Key: Section] = [:]
        result.reserveCapacity(nodes.count)
        while var node = ready.pop() {
            node.dependencies = node.dependencies.filter { nodes[$0] != nil && $0 != node.key }
            node.section = node.dependencies.reduce(node.section) { max($0, sections[$1] ?? .preData) }
            sections[node.key] = node.section
            result.append(node)
            for dependent in dependents[node.key] ?? [] {
                remaining[dependent]! -= 1
                if remaining[dependent] == 0, var next = nodes[dependent] {
                    next.dependencies = next.dependencies.filter { nodes[$0] != nil && $0 != next.key }
                    ready.push(next)
                }
            }
        }
        if result.count < nodes.count {
            let stuck = nodes.values.filter { (remaining[$0.key] ?? 0) > 0 }.sorted(by: Self.precedes)
            let names = stuck.prefix(6).map { "\($0.kind.lowercased()) \($0.qualifiedName)" }.joined(separator: ", ")
            throw OpsError(.jobFailed, "cannot back up: circular dependencies among \(names)\(stuck.count > 6 ? " (and \(stuck.count - 6) more)" : "")")
        }
        return result
    }

    private static func precedes(_ lhs: Node, _ rhs: Node) -> Bool {
        if lhs.priority != rhs.priority { return lhs.priority < rhs.priority }
        if (lhs.schema ?? "") != (rhs.schema ?? "") { return (lhs.schema ?? "") < (rhs.schema ?? "") }
        if lhs.name != rhs.name { return lhs.name < rhs.name }
        if lhs.key.catalog != rhs.key.catalog { return lhs.key.catalog < rhs.key.catalog }
        if lhs.key.oid != rhs.key.oid { return lhs.key.oid < rhs.key.oid }
        return lhs.key.part < rhs.key.part
    }
}

extension DumpGraph.Node {
    var qualifiedName: String { schema.map { "\($0).\(name)" } ?? name }
}

/// A binary min-heap ordered by `areInIncreasingOrder`.
struct Heap<Element> {
    private var elements: [Element] = []
    private let areInIncreasingOrder: (Element, Element) -> Bool

    init(by areInIncreasingOrder: @escaping (Element, Element) -> Bool) {
        self.areInIncreasingOrder = areInIncreasingOrder
    }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard areInIncreasingOrder(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let top = elements.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < elements.count, areInIncreasingOrder(elements[left], elements[smallest]) { smallest = left }
            if right < elements.count, areInIncreasingOrder(elements[right], elements[smallest]) { smallest = right }
            if smallest == parent { break }
            elements.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
