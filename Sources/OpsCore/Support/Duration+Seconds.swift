extension Duration {
    /// The duration as fractional seconds, for metrics, JSON and `Date` arithmetic.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
