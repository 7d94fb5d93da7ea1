import Plumbing

extension PostgresClient {
    public struct Configuration: Sendable {
        /// A libpq URI (`postgresql://user:password@host:port/db`) or conninfo string. It may carry
        /// a password, so it is never logged, and this type's descriptions leave it out.
        public var url: String
        /// The most connections the pool opens at once.
        public var maximumConnections = 8
        /// How long a task waits for a busy pool before `.poolTimeout`.
        public var acquireTimeout: Duration = .seconds(10)
        /// How long opening a connection may take (libpq's `connect_timeout`, at least 2 s), unless
        /// the URL sets it.
        public var connectTimeout: Duration = .seconds(10)
        /// The session's `statement_timeout`, set on every connection the pool opens: a statement
        /// that runs longer is canceled by the server (`.queryCanceled`). nil leaves the server's.
        public var statementTimeout: Duration? = .seconds(30)
        /// Shown in `pg_stat_activity`, unless the URL sets `application_name`.
        public var applicationName = "tongban"

        public init(url: String) {
            self.url = url
        }

        /// libpq's keyword/value parameters. The URL comes last, so whatever it sets wins.
        var connectionParameters: [(keyword: String, value: String)] {
            [
                ("connect_timeout", String(max(2, connectTimeout.components.seconds))),
                ("fallback_application_name", applicationName),
                ("dbname", url),
            ]
        }

        var statementTimeoutMilliseconds: Int64? {
            statementTimeout.map(\.wholeMilliseconds)
        }
    }
}

extension PostgresClient.Configuration: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "PostgresClient.Configuration(url: (not shown), maximumConnections: \(maximumConnections), "
            + "acquireTimeout: \(acquireTimeout), statementTimeout: \(statementTimeout.map { "\($0)" } ?? "server's"))"
    }

    public var debugDescription: String { description }
}
