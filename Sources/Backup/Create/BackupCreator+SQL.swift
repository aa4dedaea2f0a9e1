extension BackupCreator {
    static let sourceDatabaseSQL = """
        SELECT pg_catalog.pg_encoding_to_char(encoding) AS encoding, datcollate, datctype, datlocprovider::text AS provider,
               daticulocale, pg_catalog.pg_get_userbyid(datdba) AS owner
        FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()
        """
}
