extension CatchUp {
    static let coverageSQL = """
        SELECT greatest(
            (SELECT slot FROM ops.job_runs WHERE job = $1 AND slot IS NOT NULL ORDER BY slot DESC LIMIT 1),
            (SELECT started_at FROM ops.job_runs WHERE job = $1 AND status <> 'skipped' ORDER BY started_at DESC LIMIT 1)
        ) AS covered
        """
}
