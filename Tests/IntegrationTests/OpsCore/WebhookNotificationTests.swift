import Foundation
import OpsSupport
import PGClient
import Testing

/// `NOTIFY_WEBHOOK_URL` through the binary, against a real HTTP receiver (python3's http.server).
@Suite("Webhook notifications on failure and recovery", .serialized)
struct WebhookNotificationTests {
    /// A loopback HTTP receiver that answers the first `failFirst` POSTs with 503 and records every body.
    final class Receiver: @unchecked Sendable {
        let process = Process()
        let port: Int
        let log: String

        init(failFirst: Int = 0) throws {
            log = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID().uuidString).jsonl").path
            FileManager.default.createFile(atPath: log, contents: nil)
            let portFile = log + ".port"
            let script = """
                import http.server, json, sys
                log, fail_first, port_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
                seen = [0]
                class H(http.server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        body = self.rfile.read(int(self.headers['Content-Length']))
                        seen[0] += 1
                        code = 503 if seen[0] <= fail_first else 200
                        with open(log, 'a') as f:
                            f.write(json.dumps({'code': code, 'type': self.headers['Content-Type'], 'body': json.loads(body)}) + '\\n')
                        self.send_response(code); self.end_headers()
                    def log_message(self, *a): pass
                s = http.server.HTTPServer(('127.0.0.1', 0), H)
                open(port_file, 'w').write(str(s.server_port))
                s.serve_forever()
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script, log, String(failFirst), portFile]
            try process.run()
            // Up to 30 s: python3's start-up takes seconds on a loaded 2-core CI host.
            var port = 0
            for _ in 0..<600 where port == 0 && process.isRunning {
                port = Int((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "") ?? 0
                if port == 0 { Thread.sleep(forTimeInterval: 0.05) }
            }
            if port == 0 {
                // deinit does not run for an object whose init throws: stop the receiver here, or it
                // keeps the test runner's output pipe open and `swift test` waits for it forever.
                kill(process.processIdentifier, SIGKILL); process.waitUntilExit()
            }
            // A thrown error, not `#require`: this runs on a thread of its own (`start`), outside the
            // test's task; the test records the error it rethrows.
            guard port > 0 else { throw TestServerError(message: "the webhook receiver did not start within 30 s") }
            self.port = port
        }

        /// Starts a receiver on a thread of its own: python3 may take seconds to start, which must not
        /// hold the cooperative pool other suites run on (see `CLI.run`).
        static func start(failFirst: Int = 0) async throws -> Receiver {
            try await BlockingIO.run(name: "test-webhook") { try Receiver(failFirst: failFirst) }
        }

        var url: String { "http://127.0.0.1:\(port)/hooks/ops?token=s3cret-hook-token" }

        func posts() throws -> [[String: Any]] {
            try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }

        // SIGKILL: a child may inherit a signal mask that blocks SIGTERM from the test runner's thread.
        deinit { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    private func sleepJob(_ extra: [String], database: String, url: String) async throws -> CLI.Result {
        try await CLI.run(["schedule", "sleep", "--seconds", "0"] + extra,
                    environment: ["DATABASE_URL": try PostgresTestDatabase.serverConfiguration().url(forDatabase: database), "NOTIFY_WEBHOOK_URL": url])
    }

    @Test func aFailureAndTheRecoveryAreEachPostedOnceAndSuccessesAreQuiet() async throws {
        try await PostgresTestDatabase.with { name, _ in
            let receiver = try await Receiver.start()
            #expect(try await sleepJob([], database: name, url: receiver.url).status == 0)
            #expect(try receiver.posts().isEmpty, "a success after nothing is not news")

            let failed = try await sleepJob(["--fail", "logic"], database: name, url: receiver.url)
            #expect(failed.status == 1)
            #expect(try await sleepJob([], database: name, url: receiver.url).status == 0)
            #expect(try await sleepJob([], database: name, url: receiver.url).status == 0)

            let posts = try receiver.posts()
            try #require(posts.count == 2, "\(posts)")
            let first = try #require(posts[0]["body"] as? [String: Any])
            #expect(first["event"] as? String == "failed")
            #expect(first["job"] as? String == "sleep")
            #expect(first["status"] as? String == "failed")
            #expect((first["error"] as? String)?.contains("simulated failure") == true)
            #expect(first["run_id"] is Int)
            #expect(posts[0]["type"] as? String == "application/json")
            let second = try #require(posts[1]["body"] as? [String: Any])
            #expect(second["event"] as? String == "recovered")
            #expect(second["status"] as? String == "succeeded")
            // Neither the webhook's token nor the database password travels or is printed.
            let all = try String(contentsOfFile: receiver.log, encoding: .utf8) + failed.stderr + failed.stdout
            #expect(!all.contains("s3cret-hook-token"))
            #expect(!all.contains(try #require(URLComponents(string: try PostgresTestDatabase.serverConfiguration().url(forDatabase: name))?.password)))
        }
    }

    @Test func aReceiverThatFailsTwiceGetsTheEventOnTheThirdAttempt() async throws {
        try await PostgresTestDatabase.with { name, _ in
            let receiver = try await Receiver.start(failFirst: 2)
            let result = try await sleepJob(["--fail", "logic"], database: name, url: receiver.url)
            #expect(result.status == 1, "the job's exit code is its own, whatever the webhook does")
            let codes = try receiver.posts().map { $0["code"] as? Int }
            #expect(codes == [503, 503, 200])
        }
    }

    @Test func anUnreachableReceiverCostsOneWarningAndNotTheJobsExitCode() async throws {
        try await PostgresTestDatabase.with { name, _ in
            // A port nothing listens on (the receiver is started and stopped to find a free one).
            let port = try await Receiver.start().port
            let result = try await sleepJob(["--fail", "logic"], database: name, url: "http://127.0.0.1:\(port)/x?token=s3cret-hook-token")
            #expect(result.status == 1)
            #expect(result.stderr.contains("webhook notification not delivered"), "\(result.stderr)")
            #expect(result.stderr.contains("host=127.0.0.1"), "\(result.stderr)")
            #expect(!result.stderr.contains("s3cret-hook-token"))
        }
    }

    @Test(arguments: ["ftp://example.com/x", "not a url", "http://"])
    func aMalformedWebhookURLIsAConfigurationError(url: String) async throws {
        let result = try await CLI.run(["schedule", "sleep", "--seconds", "0"], environment: ["NOTIFY_WEBHOOK_URL": url])
        #expect(result.status == 2)
        #expect(result.stderr == "auto-i18n-ops: NOTIFY_WEBHOOK_URL is not valid: expected an http:// or https:// URL with a host\n")
    }
}
