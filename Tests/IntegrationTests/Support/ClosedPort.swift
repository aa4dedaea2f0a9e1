import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback TCP port that nothing listens on for as long as this object lives: a socket is bound to
/// it and never listens, so a connection is refused and no other server (another test's redis-server
/// started in parallel) can take the port meanwhile, as it could between `freePort()` and the connect.
final class ClosedPort {
    let port: Int
    private let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError(message: "socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard ok else {
            let code = errno
            close(fd)
            throw TestServerError(message: "bind() failed: errno \(code)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
