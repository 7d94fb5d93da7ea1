import Domain
import Foundation
import Hummingbird
import Messaging
import ServiceKit

/// The public face of the catalogue: matters, bundles, and the one-time notice (一次性告知) of
/// everything to bring. Anyone may read them, without a token.
struct CatalogueController: Sendable {
    let catalogue: MatterCatalogue

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("matters") { _, _ in
            try Response.json(MatterList(catalogueVersion: catalogue.version, region: catalogue.region, matters: catalogue.matters.map(summary)))
        }
        router.get("matters/{code}") { _, context in
            try Response.json(detail(try matter(context)))
        }
        router.get("matters/{code}/notice") { _, context in
            let matter = try matter(context)
            return try Response.json(notice(title: matter.name, bundle: nil, matters: [matter]))
        }
        router.get("bundles") { _, _ in
            try Response.json(BundleList(catalogueVersion: catalogue.version, region: catalogue.region, bundles: catalogue.bundles.map(bundleView)))
        }
        router.get("bundles/{code}") { _, context in
            try Response.json(bundleView(try bundle(context)))
        }
        router.get("bundles/{code}/notice") { _, context in
            let bundle = try bundle(context)
            return try Response.json(notice(title: bundle.name, bundle: bundle, matters: bundle.matters.compactMap(catalogue.matter)))
        }
    }

    func matter(_ context: TongbanRequestContext) throws -> MatterCatalogue.Matter {
        let code = try context.parameters.require("code")
        guard let matter = catalogue.matter(code) else { throw Problem.notFound("No matter \(code) in catalogue \(catalogue.version).") }
        return matter
    }

    func bundle(_ context: TongbanRequestContext) throws -> MatterCatalogue.Bundle {
        let code = try context.parameters.require("code")
        guard let bundle = catalogue.bundle(code) else { throw Problem.notFound("No bundle \(code) in catalogue \(catalogue.version).") }
        return bundle
    }

    // MARK: Views

    struct MatterSummary: Encodable {
        var code: String
        var name: String
        var department: String
        var departmentName: String
        var region: String
        /// Decided by a partner region's authority; accepted here and handed over (异地代收代办).
        var handedOver: Bool
        var mode: MatterCatalogue.Mode
        var legalLimitDays: Int
        var promisedLimitDays: Int
        var licence: MatterCatalogue.Licence?
    }

    struct MatterDetail: Encodable {
        struct Material: Encodable {
            var code: String
            var name: String
            var description: String?
            var requirement: MatterCatalogue.Requirement
            /// The signed commitment stands in for it (告知承诺).
            var replaceableByCommitment: Bool
        }

        var matter: MatterSummary
        var stepsBeforeDecision: [String]
        var verificationLimitDays: Int?
        var legalBasis: String
        var materials: [Material]
        var commitment: MatterCatalogue.Commitment?
        var catalogueVersion: String
    }

    struct MatterList: Encodable {
        var catalogueVersion: String
        var region: String
        var matters: [MatterSummary]
    }

    struct BundleView: Encodable {
        var code: String
        var name: String
        var description: String?
        var matters: [MatterSummary]
        /// The longest promised limit of its matters: they run in parallel (并联审批).
        var promisedLimitDays: Int
        var legalLimitDays: Int
    }

    struct BundleList: Encodable {
        var catalogueVersion: String
        var region: String
        var bundles: [BundleView]
    }

    /// 一次性告知书: everything to bring for a matter or a bundle, each document once.
    struct Notice: Encodable {
        struct Material: Encodable {
            var code: String
            var name: String
            var description: String?
            /// mandatory when any matter needs it without exception; tolerable when every matter
            /// accepts it later (容缺受理).
            var requirement: MatterCatalogue.Requirement
            /// The matters that need it.
            var neededFor: [String]
            /// Matters whose signed commitment stands in for it.
            var replaceableByCommitmentFor: [String]
        }

        struct Commitment: Encodable {
            var matterCode: String
            var matterName: String
            var statement: String
            var replaces: [String]
            var verificationLimitDays: Int?
        }

        var title: String
        var catalogueVersion: String
        var issuedBy: String
        var bundle: String?
        var matters: [MatterSummary]
        var materials: [Material]
        var commitments: [Commitment]
        /// Working days to supply a tolerated missing material after acceptance.
        var deficiencyLimitDays: Int
        var promisedLimitDays: Int
        var legalLimitDays: Int
        var notes: [String]
    }

    func summary(_ matter: MatterCatalogue.Matter) -> MatterSummary {
        let region = catalogue.region(of: matter)
        return MatterSummary(
            code: matter.code, name: matter.name, department: matter.department,
            departmentName: catalogue.department(of: matter)?.name ?? matter.department,
            region: region, handedOver: region != catalogue.region, mode: matter.mode,
            legalLimitDays: matter.legalLimitDays, promisedLimitDays: matter.promisedLimitDays, licence: matter.licence
        )
    }

    func detail(_ matter: MatterCatalogue.Matter) -> MatterDetail {
        let replaced = Set(matter.commitment?.replaces ?? [])
        return MatterDetail(
            matter: summary(matter),
            stepsBeforeDecision: matter.stepsBeforeDecision ?? [],
            verificationLimitDays: matter.verificationLimitDays,
            legalBasis: matter.legalBasis,
            materials: matter.materials.map { requirement in
                let material = catalogue.material(requirement.code)
                return MatterDetail.Material(
                    code: requirement.code, name: material?.name ?? requirement.code, description: material?.description,
                    requirement: requirement.requirement, replaceableByCommitment: replaced.contains(requirement.code)
                )
            },
            commitment: matter.commitment,
            catalogueVersion: catalogue.version
        )
    }

    func bundleView(_ bundle: MatterCatalogue.Bundle) -> BundleView {
        let matters = bundle.matters.compactMap(catalogue.matter)
        return BundleView(
            code: bundle.code, name: bundle.name, description: bundle.description, matters: matters.map(summary),
            promisedLimitDays: matters.map(\.promisedLimitDays).max() ?? 0,
            legalLimitDays: matters.map(\.legalLimitDays).max() ?? 0
        )
    }

    func notice(title: String, bundle: MatterCatalogue.Bundle?, matters: [MatterCatalogue.Matter]) -> Notice {
        var order: [String] = []
        var needed: [String: [String]] = [:]
        var mandatory: Set<String> = []
        var replaceable: [String: [String]] = [:]
        for matter in matters {
            for requirement in matter.materials {
                if needed[requirement.code] == nil { order.append(requirement.code) }
                needed[requirement.code, default: []].append(matter.code)
                if requirement.requirement == .mandatory { mandatory.insert(requirement.code) }
                if matter.commitment?.replaces.contains(requirement.code) == true {
                    replaceable[requirement.code, default: []].append(matter.code)
                }
            }
        }
        var notes = [
            "Bring every mandatory material: an application that lacks one is not accepted, and the window lists everything missing at once.",
            "Tolerable materials (容缺) may follow within \(catalogue.deficiencyLimitDays) working days of acceptance.",
        ]
        if matters.contains(where: { $0.mode == .commitment }) {
            notes.append("For commitment matters (告知承诺), signing the commitment stands in for the materials it names; the department verifies it afterwards, and a false commitment revokes the licence.")
        }
        if matters.contains(where: { catalogue.region(of: $0) != catalogue.region }) {
            notes.append("Matters of a partner region are accepted at this window and handed over to their authority (异地代收代办); the licence comes back here.")
        }
        return Notice(
            title: "一次性告知书：\(title)",
            catalogueVersion: catalogue.version,
            issuedBy: catalogue.regionName,
            bundle: bundle?.code,
            matters: matters.map(summary),
            materials: order.map { code in
                let material = catalogue.material(code)
                return Notice.Material(
                    code: code, name: material?.name ?? code, description: material?.description,
                    requirement: mandatory.contains(code) ? .mandatory : .tolerable,
                    neededFor: needed[code] ?? [], replaceableByCommitmentFor: replaceable[code] ?? []
                )
            },
            commitments: matters.compactMap { matter in
                matter.commitment.map {
                    Notice.Commitment(matterCode: matter.code, matterName: matter.name, statement: $0.statement, replaces: $0.replaces, verificationLimitDays: matter.verificationLimitDays)
                }
            },
            deficiencyLimitDays: catalogue.deficiencyLimitDays,
            promisedLimitDays: matters.map(\.promisedLimitDays).max() ?? 0,
            legalLimitDays: matters.map(\.legalLimitDays).max() ?? 0,
            notes: notes
        )
    }
}
