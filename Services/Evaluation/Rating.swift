import Domain
import Foundation

/// 好差评: the five levels of the national rating system.
enum RatingLevel: String, Codable, Sendable, CaseIterable {
    /// 非常满意
    case verySatisfied = "very-satisfied"
    /// 满意
    case satisfied
    /// 基本满意
    case basicallySatisfied = "basically-satisfied"
    /// 不满意
    case dissatisfied
    /// 非常不满意
    case veryDissatisfied = "very-dissatisfied"

    var name: String {
        switch self {
        case .verySatisfied: "非常满意"
        case .satisfied: "满意"
        case .basicallySatisfied: "基本满意"
        case .dissatisfied: "不满意"
        case .veryDissatisfied: "非常不满意"
        }
    }

    /// 好评: 基本满意 or better; the rest are 差评 and open a rectification.
    var isPositive: Bool {
        switch self {
        case .verySatisfied, .satisfied, .basicallySatisfied: true
        case .dissatisfied, .veryDissatisfied: false
        }
    }
}

/// Where the applicant rated.
enum RatingChannel: String, Codable, Sendable, CaseIterable {
    /// The rating device at the window (评价器).
    case windowDevice = "window-device"
    /// The web or app portal.
    case web
    /// The 12345 government service hotline.
    case hotline12345 = "hotline-12345"
}

/// What the applicant sends. Level and channel arrive as text, so that an unknown one is a clear
/// field error rather than a generic decoding failure.
struct RatingRequest: Decodable, Sendable {
    var level: String
    var channel: String
    var tags: [String]?
    var comment: String?
    /// For a bad rating of a case several departments handled: the one the complaint is about.
    /// When absent, every department of the case rectifies.
    var department: String?

    static let maximumTags = 10
    static let maximumTagLength = 30
    static let maximumCommentLength = 500

    /// The valid rating, or every field error at once.
    func validated() throws(InvalidFields) -> (level: RatingLevel, channel: RatingChannel, tags: [String], comment: String?) {
        var errors: [FieldError] = []
        let level = RatingLevel(rawValue: level)
        if level == nil {
            errors.append(FieldError(field: "level", problem: "must be one of \(RatingLevel.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        let channel = RatingChannel(rawValue: channel)
        if channel == nil {
            errors.append(FieldError(field: "channel", problem: "must be one of \(RatingChannel.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        let tags = (tags ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if tags.count > Self.maximumTags {
            errors.append(FieldError(field: "tags", problem: "at most \(Self.maximumTags) tags"))
        }
        for (index, tag) in tags.enumerated() where tag.isEmpty || tag.count > Self.maximumTagLength {
            errors.append(FieldError(field: "tags[\(index)]", problem: "must be 1 to \(Self.maximumTagLength) characters"))
        }
        let comment = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let comment, comment.count > Self.maximumCommentLength {
            errors.append(FieldError(field: "comment", problem: "at most \(Self.maximumCommentLength) characters"))
        }
        guard errors.isEmpty, let level, let channel else { throw InvalidFields(errors) }
        return (level, channel, tags, comment?.isEmpty == true ? nil : comment)
    }
}
