import Domain
import Foundation
import Hummingbird
import Messaging
import ServiceKit
import TongbanClient

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
            try Response.json(BundleList(catalogueVersion: catalogue.version, region: catalogue.region, bundles: catalogue.bundles.map(bundleSummary)))
        }
        router.get("bundles/{code}") { _, context in
            try Response.json(bundleSummary(try bundle(context)))
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

    func bundleSummary(_ bundle: MatterCatalogue.Bundle) -> BundleSummary {
        let matters = bundle.matters.compactMap(catalogue.matter)
        return BundleSummary(
            code: bundle.code, name: bundle.name, description: bundle.description, matters: matters.map(summary),
            promisedLimitDays: matters.map(\.promisedLimitDays).max() ?? 0,
            legalLimitDays: matters.map(\.legalLimitDays).max() ?? 0
        )
    }

    func notice(title: String, bundle: MatterCatalogue.Bundle?, matters: [MatterCatalogue.Matter]) -> OneTimeNotice {
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
        return OneTimeNotice(
            title: "一次性告知书：\(title)",
            catalogueVersion: catalogue.version,
            issuedBy: catalogue.regionName,
            bundle: bundle?.code,
            matters: matters.map(summary),
            materials: order.map { code in
                let material = catalogue.material(code)
                return OneTimeNotice.Material(
                    code: code, name: material?.name ?? code, description: material?.description,
                    requirement: mandatory.contains(code) ? .mandatory : .tolerable,
                    neededFor: needed[code] ?? [], replaceableByCommitmentFor: replaceable[code] ?? []
                )
            },
            commitments: matters.compactMap { matter in
                matter.commitment.map {
                    OneTimeNotice.Commitment(matterCode: matter.code, matterName: matter.name, statement: $0.statement, replaces: $0.replaces, verificationLimitDays: matter.verificationLimitDays)
                }
            },
            deficiencyLimitDays: catalogue.deficiencyLimitDays,
            promisedLimitDays: matters.map(\.promisedLimitDays).max() ?? 0,
            legalLimitDays: matters.map(\.legalLimitDays).max() ?? 0,
            notes: notes
        )
    }
}
