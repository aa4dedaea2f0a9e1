import CHiredis
import OpsSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// Conversions between Swift values and hiredis' C structures. Internal: only RedisConnection calls
// these, always on its queue and inside its `hiredis(command:connecting:_:)` gate.

/// Lends hiredis the `argv`/`argvlen` arrays for `args`; the pointers are valid only inside `body`.
func withArgv<R>(
    _ args: [[UInt8]],
    _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
) -> R {
    var storage: [UInt8] = []
    storage.reserveCapacity(args.reduce(1) { $0 + $1.count })
    var offsets: [Int] = []
    var lengths: [Int] = []
    for arg in args {
        offsets.append(storage.count)
        lengths.append(arg.count)
        storage.append(contentsOf: arg)
    }
    storage.append(0)  // never empty, so there is always a base address
    return storage.withUnsafeBufferPointer { bytes in
        bytes.withMemoryRebound(to: CChar.self) { chars in
            var argv: [UnsafePointer<CChar>?] = offsets.map { chars.baseAddress! + $0 }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    body(Int32(args.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
                }
            }
        }
    }
}

extension RedisReply {
    /// Copies a hiredis reply tree into Swift values; `reply` must stay alive for the call.
    init(_ reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        func bytes() -> [UInt8] {
            guard let str = r.str, r.len > 0 else { return [] }
            return Array(UnsafeRawBufferPointer(start: str, count: r.len))
        }
        switch r.type {
        case REDIS_REPLY_STRING: self = .string(bytes())
        case REDIS_REPLY_STATUS: self = .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: self = .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: self = .integer(Int64(r.integer))
        case REDIS_REPLY_NIL: self = .null
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                elements.append(r.element[i].map { RedisReply(UnsafePointer($0)) } ?? .null)
            }
            self = .array(elements)
        default: self = .error("unknown hiredis reply type \(r.type)")
        }
    }
}

extension timeval {
    /// At least 1 ms: a zero `timeval` means "no timeout" to `SO_RCVTIMEO`.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let micros = max(min(seconds, 1_000_000_000) * 1_000_000 + attoseconds / 1_000_000_000_000, 1000)
        self.init(tv_sec: .init(micros / 1_000_000), tv_usec: .init(micros % 1_000_000))
    }
}
