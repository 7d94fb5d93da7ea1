extension Duration {
    /// Whole milliseconds, as librdkafka's settings and timeouts, PostgreSQL's statement_timeout and
    /// log lines take them.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole milliseconds for a C timeout argument, clamped to an Int32's range.
    public var timeoutMilliseconds: Int32 {
        Int32(clamping: max(wholeMilliseconds, 0))
    }
}
