extension StatsRefreshJob {
    static let isPopulatedSQL = """
        SELECT ispopulated FROM pg_matviews WHERE schemaname = 'public' AND matviewname = 'translation_stats'
        """
}
