public import Foundation

// The access log's answer, the same on every service (GET /access-log).

/// Staff reads of personal data in one service (个人信息保护法): who read what, when, by which
/// route; newest first, `next` the cursor of the following page.
public struct AccessLogEntries: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var id: Int
        public var readAt: Date
        /// The reader's token subject, role, region and (for an officer) department.
        public var subject: String
        public var role: String
        public var region: String?
        public var department: String?
        /// The route, as a template (`GET /cases/{number}`), and the path that was read.
        public var route: String
        public var item: String
        /// The case the read concerned, where the path names it.
        public var caseNumber: String?
    }

    public var service: String
    /// How long entries are kept, in days.
    public var retentionDays: Int
    public var entries: [Entry]
    public var next: Int?

    public init(service: String, retentionDays: Int, entries: [Entry], next: Int?) {
        self.service = service
        self.retentionDays = retentionDays
        self.entries = entries
        self.next = next
    }
}
