extension Restorer {
    static let maintenanceWorkMemSQL = """
        SELECT set_config('maintenance_work_mem', '256MB', false)
        WHERE pg_catalog.pg_size_bytes(current_setting('maintenance_work_mem')) < 268435456
        """
}
