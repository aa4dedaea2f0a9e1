@testable import Backup
import Testing

@Suite("Backup options: member sizes")
struct BackupOptionsTests {
    @Test("members share a 32 MiB budget locally, 16 MiB into object storage, each 1-4 MiB",
          arguments: [(1, false, 4 << 20), (2, false, 4 << 20), (3, false, 4 << 20), (7, false, 2 << 20), (15, false, 1 << 20), (32, false, 1 << 20),
                      (1, true, 4 << 20), (2, true, (16 << 20) / 6), (3, true, 2 << 20), (7, true, 1 << 20), (32, true, 1 << 20)])
    func chunkSizes(jobs: Int, objectStorage: Bool, expected: Int) {
        let size = BackupOptions.defaultChunkBytes(jobs: jobs, objectStorage: objectStorage)
        #expect(size == expected)
        // The bound the options document: (2 x jobs + 2) member buffers within the budget (or 1 MiB each).
        let budget = objectStorage ? 16 << 20 : 32 << 20
        #expect((2 * jobs + 2) * size <= max(budget, (2 * jobs + 2) << 20))
    }

    @Test func aGivenChunkSizeIsKeptAndMarkedGiven() {
        #expect(BackupOptions(jobs: 2, chunkBytes: 64 * 1024).chunkBytesGiven)
        #expect(BackupOptions(jobs: 2, chunkBytes: 64 * 1024).chunkBytes == 64 * 1024)
        #expect(!BackupOptions(jobs: 2).chunkBytesGiven)
        #expect(BackupOptions(jobs: 2).chunkBytes == BackupOptions.defaultChunkBytes(jobs: 2))
    }
}
