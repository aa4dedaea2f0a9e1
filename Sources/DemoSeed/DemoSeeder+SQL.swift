extension DemoSeeder {
    static let foreignSessionsSQL = "SELECT count(*) AS n FROM sessions WHERE sender_id NOT LIKE 'demo-%'"

    static let countsSQL = """
        SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM files) AS files,
               (SELECT count(*) FROM batches) AS batches, (SELECT count(*) FROM batch_requests) AS requests
        """

    static let liveSendersSQL = """
        SELECT sender_id FROM sessions WHERE expires_at > now() AND sender_id LIKE 'demo-%' ORDER BY sender_id
        """

    static let queuedBatchesSQL = """
        SELECT batch_id FROM batches WHERE status IN ('pending', 'submitted', 'in_progress') AND batch_id LIKE 'demo-%'
        ORDER BY batch_id
        """
}
