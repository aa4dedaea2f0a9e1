@testable import Backup
import Testing

@Suite("Member buffers: written members' storage is refilled, within bounds")
struct MemberBuffersTests {
    private static func address(_ buffer: [UInt8]) -> UnsafeRawPointer? {
        buffer.withUnsafeBytes { $0.baseAddress }
    }

    @Test func aBufferGivenBackIsTakenAgainEmptyWithItsStorage() {
        let buffers = MemberBuffers(chunkBytes: 1 << 20, limit: 2)
        var first = buffers.take()
        #expect(first.isEmpty)
        #expect(first.capacity >= buffers.capacity)
        first.append(contentsOf: [UInt8](repeating: 7, count: 1 << 20))
        let storage = Self.address(first)
        buffers.give(first)
        first = []  // the archive thread lets go of the member
        let again = buffers.take()
        #expect(again.isEmpty)
        #expect(Self.address(again) == storage)
    }

    @Test func atMostLimitAreKeptAndOversizedOnesAreLetGo() {
        let buffers = MemberBuffers(chunkBytes: 1 << 16, limit: 2)
        var taken = (0..<3).map { _ in buffers.take() }
        let addresses = Set(taken.map { Self.address($0) })
        #expect(addresses.count == 3)
        for buffer in taken { buffers.give(buffer) }
        taken = []
        #expect(buffers.kept == 2)
        let reused = (0..<2).map { _ in buffers.take() }
        #expect(reused.allSatisfy { addresses.contains(Self.address($0)) })
        #expect(buffers.kept == 0)

        // A member that grew around one huge row is not kept.
        var huge = buffers.take()
        huge.reserveCapacity(4 * buffers.capacity)
        buffers.give(huge)
        huge = []
        #expect(buffers.kept == 0)
    }

    /// Given back while another holder still has it (copy-on-write): the next chunk gets fresh
    /// storage and the holder's bytes stay as they were.
    @Test func aBufferStillHeldElsewhereIsNeverOverwritten() {
        let buffers = MemberBuffers(chunkBytes: 1 << 16, limit: 1)
        var member = buffers.take()
        member.append(contentsOf: [1, 2, 3])
        buffers.give(member)
        var next = buffers.take()
        next.append(contentsOf: [9, 9])
        #expect(member == [1, 2, 3])
        #expect(next == [9, 9])
        #expect(Self.address(next) != Self.address(member))
    }
}
