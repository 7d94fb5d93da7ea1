public import Foundation

/// 事项目录: every matter a region's windows accept, with its competent department, its limits in
/// working days, its materials and how it is decided; and the bundles of matters applied for
/// together (一件事一次办). Read from a versioned JSON file (`format`, `version`); the window copies
/// what a case needs from the version it used, so nothing downstream reads the catalogue again.
public struct MatterCatalogue: Sendable, Equatable, Codable {
    /// The file formats this code reads.
    public static let supportedFormat = 1

    public var format: Int
    /// The catalogue's own version, e.g. `130100-2026.3`; cases record the version they used.
    public var version: String
    /// The home region whose windows use this catalogue (GB/T 2260).
    public var region: String
    public var regionName: String
    /// 容缺受理: working days an applicant has to supply tolerated missing materials.
    public var deficiencyLimitDays: Int
    public var departments: [Department]
    public var materials: [Material]
    public var matters: [Matter]
    public var bundles: [Bundle]

    /// A competent department, in the home region or a partner region.
    public struct Department: Sendable, Equatable, Codable {
        /// Stable code, the same that officers' tokens carry, e.g. `housing-construction`.
        public var code: String
        public var name: String
        /// The department's region; the same code may exist in several regions.
        public var region: String
    }

    /// A kind of document an applicant hands in; matters name what they need by its code, so
    /// that a bundle asks for each document once (一套材料).
    public struct Material: Sendable, Equatable, Codable {
        public var code: String
        public var name: String
        /// What it must contain or how it is accepted.
        public var description: String?
    }

    /// Whether a matter can be accepted without a material.
    public enum Requirement: String, Sendable, Equatable, Codable, CaseIterable {
        /// Without it, the application is refused.
        case mandatory
        /// 容缺受理: accepted without it; the applicant supplies it within the deficiency limit.
        case tolerable
    }

    /// How a matter is decided (审批方式); the events carry the same three values.
    public enum Mode: String, Sendable, Equatable, Codable, CaseIterable {
        case standard
        /// 告知承诺: approved on the applicant's commitment, verified afterwards.
        case commitment
        /// 即办件: decided at acceptance.
        case immediate
    }

    /// The licence a matter earns when approved.
    public struct Licence: Sendable, Equatable, Codable {
        public var type: String
        public var name: String
        public var validityYears: Int?
    }

    /// 告知承诺书: what the applicant commits to, and the materials the commitment stands in for.
    public struct Commitment: Sendable, Equatable, Codable {
        public var statement: String
        public var replaces: [String]
    }

    public struct MaterialRequirement: Sendable, Equatable, Codable {
        public var code: String
        public var requirement: Requirement
    }

    public struct Matter: Sendable, Equatable, Codable {
        public var code: String
        public var name: String
        public var department: String
        /// The competent authority's region; the catalogue's region when absent. A partner
        /// region's matters are accepted here and handed over (异地代收代办).
        public var region: String?
        public var legalLimitDays: Int
        public var promisedLimitDays: Int
        public var mode: Mode
        /// Steps before the decision, in order, e.g. `joint-inspection` (联合踏勘).
        public var stepsBeforeDecision: [String]?
        /// Commitment matters: working days the department has to verify the commitment.
        public var verificationLimitDays: Int?
        public var licence: Licence?
        public var legalBasis: String
        public var materials: [MaterialRequirement]
        /// Commitment matters: the commitment the applicant signs.
        public var commitment: Commitment?
    }

    /// 一件事: matters applied for in one form and one submission, under one case number.
    public struct Bundle: Sendable, Equatable, Codable {
        public var code: String
        public var name: String
        public var description: String?
        public var matters: [String]
    }

    // MARK: Reading

    /// Reads and checks a catalogue file; every problem found is in the error, not just the first.
    public init(json: Data) throws(CatalogueError) {
        let decoder = JSONDecoder()
        do {
            self = try decoder.decode(MatterCatalogue.self, from: json)
        } catch let error as DecodingError {
            throw CatalogueError(problems: [Self.describe(error)])
        } catch {
            throw CatalogueError(problems: ["the file is not JSON"])
        }
        let problems = validationProblems()
        guard problems.isEmpty else { throw CatalogueError(problems: problems) }
    }

    /// The catalogue in `file`; its problems name the file.
    public static func load(file: URL) throws(CatalogueError) -> MatterCatalogue {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw CatalogueError(problems: ["\(file.path) cannot be read"])
        }
        do {
            return try MatterCatalogue(json: data)
        } catch {
            throw CatalogueError(problems: error.problems.map { "\(file.lastPathComponent): \($0)" })
        }
    }

    // MARK: Looking up

    public func matter(_ code: String) -> Matter? {
        matters.first { $0.code == code }
    }

    public func bundle(_ code: String) -> Bundle? {
        bundles.first { $0.code == code }
    }

    public func material(_ code: String) -> Material? {
        materials.first { $0.code == code }
    }

    /// The region whose authority decides `matter`.
    public func region(of matter: Matter) -> String {
        matter.region ?? region
    }

    public func department(of matter: Matter) -> Department? {
        departments.first { $0.code == matter.department && $0.region == region(of: matter) }
    }

    // MARK: Checking

    /// Everything wrong with the catalogue, in words that point at the entry.
    public func validationProblems() -> [String] {
        var problems: [String] = []
        if format != Self.supportedFormat {
            problems.append("format \(format) is not supported (this code reads format \(Self.supportedFormat))")
        }
        if version.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("version is empty") }
        if (try? DivisionCode(region)) == nil { problems.append("region '\(region)' is not a division code (GB/T 2260)") }
        if deficiencyLimitDays < 1 { problems.append("deficiencyLimitDays must be at least 1") }

        var departmentKeys: Set<String> = []
        for department in departments {
            if (try? DivisionCode(department.region)) == nil {
                problems.append("department \(department.code): region '\(department.region)' is not a division code")
            }
            if !departmentKeys.insert("\(department.region)/\(department.code)").inserted {
                problems.append("department \(department.code) of \(department.region) is listed twice")
            }
        }
        var materialCodes: Set<String> = []
        for material in materials where !materialCodes.insert(material.code).inserted {
            problems.append("material \(material.code) is listed twice")
        }

        var matterCodes: Set<String> = []
        for matter in matters {
            let label = "matter \(matter.code)"
            if !matterCodes.insert(matter.code).inserted { problems.append("\(label) is listed twice") }
            if department(of: matter) == nil {
                problems.append("\(label): unknown department \(matter.department) in region \(region(of: matter))")
            }
            if matter.legalLimitDays < 0 || matter.promisedLimitDays < 0 {
                problems.append("\(label): limits cannot be negative")
            }
            if matter.promisedLimitDays > matter.legalLimitDays {
                problems.append("\(label): the promised limit (\(matter.promisedLimitDays) working days) is above the legal limit (\(matter.legalLimitDays))")
            }
            if matter.mode == .immediate && matter.promisedLimitDays != 0 {
                problems.append("\(label): an immediate matter (即办件) promises 0 working days")
            }
            switch (matter.mode, matter.verificationLimitDays, matter.commitment) {
            case (.commitment, let days?, _?) where days >= 1: break
            case (.commitment, _, _):
                problems.append("\(label): a commitment matter needs verificationLimitDays (at least 1) and a commitment")
            case (_, nil, nil): break
            default:
                problems.append("\(label): only commitment matters have verificationLimitDays and a commitment")
            }
            if let steps = matter.stepsBeforeDecision, Set(steps).count != steps.count || steps.contains(where: \.isEmpty) {
                problems.append("\(label): stepsBeforeDecision has an empty or repeated step")
            }
            if matter.materials.isEmpty { problems.append("\(label) lists no materials") }
            var required: Set<String> = []
            for material in matter.materials {
                if !materialCodes.contains(material.code) { problems.append("\(label): unknown material \(material.code)") }
                if !required.insert(material.code).inserted { problems.append("\(label): material \(material.code) is listed twice") }
            }
            for replaced in matter.commitment?.replaces ?? [] where !required.contains(replaced) {
                problems.append("\(label): the commitment replaces \(replaced), which the matter does not require")
            }
            if let licence = matter.licence, let years = licence.validityYears, years < 1 {
                problems.append("\(label): the licence's validityYears must be at least 1")
            }
        }

        var bundleCodes: Set<String> = []
        for bundle in bundles {
            let label = "bundle \(bundle.code)"
            if !bundleCodes.insert(bundle.code).inserted { problems.append("\(label) is listed twice") }
            if matterCodes.contains(bundle.code) { problems.append("\(label) has the code of a matter") }
            if bundle.matters.count < 2 { problems.append("\(label) needs at least two matters") }
            if Set(bundle.matters).count != bundle.matters.count { problems.append("\(label) lists a matter twice") }
            for code in bundle.matters where !matterCodes.contains(code) {
                problems.append("\(label): unknown matter \(code)")
            }
        }
        return problems
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the file is not JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "the file does not match the catalogue format"
        }
    }
}

/// Why a catalogue file cannot be used: every problem, one per entry.
public struct CatalogueError: Error, Equatable, CustomStringConvertible {
    public var problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    public var description: String {
        "the matter catalogue is not usable: " + problems.joined(separator: "; ")
    }
}
