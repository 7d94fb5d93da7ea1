import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Intake
import Messaging
import ServiceKit
import ServiceTestSupport
import Testing
import TongbanClient

@Suite("the matter catalogue (事项目录)")
struct CatalogueTests {
    static let sample = try! IntakeSettings.sampleCatalogue(region: "130100")

    @Test("the sample for 130100 has the matters a service centre needs: the four permits, the restaurant bundle, immediate and commitment matters, a partner region")
    func sample() throws {
        let catalogue = Self.sample
        #expect(catalogue.validationProblems().isEmpty)
        #expect(catalogue.matters.count >= 15)
        let homeDepartments = Set(catalogue.matters.filter { catalogue.region(of: $0) == "130100" }.map(\.department))
        #expect(homeDepartments.count >= 6)
        #expect(homeDepartments.isSuperset(of: ["natural-resources", "housing-construction", "market-regulation", "health", "emergency-management", "water-resources", "ecology-environment"]))

        let fourPermits = try #require(catalogue.bundle("industrial-project-four-permits"))
        #expect(fourPermits.matters.compactMap { catalogue.matter($0)?.licence?.name } == ["不动产权证书", "建设用地规划许可证", "建设工程规划许可证", "建筑工程施工许可证"])
        #expect(fourPermits.matters.contains { catalogue.matter($0)?.stepsBeforeDecision == ["joint-inspection"] })
        let restaurant = try #require(catalogue.bundle("restaurant-opening"))
        #expect(restaurant.matters.compactMap { catalogue.matter($0)?.licence?.name } == ["营业执照", "食品经营许可证", "公共场所卫生许可证"])

        #expect(catalogue.matters.contains { $0.mode == .immediate })
        #expect(catalogue.matters.filter { $0.mode == .commitment }.allSatisfy { $0.verificationLimitDays != nil && $0.commitment != nil })
        #expect(catalogue.matters.contains { $0.mode == .commitment })
        #expect(catalogue.matters.contains { catalogue.region(of: $0) == "110100" })
        #expect(catalogue.matters.allSatisfy { $0.promisedLimitDays <= $0.legalLimitDays })
        #expect(catalogue.matters.contains { $0.materials.contains { $0.requirement == .tolerable } })
        // The catalogue's three ways of deciding are the events' three.
        #expect(MatterCatalogue.Mode.allCases.map(\.rawValue) == ApprovalMode.allCases.map(\.rawValue))
    }

    @Test("a catalogue with an unknown department, a promised limit above the legal one and a duplicate code is refused with every problem")
    func invalidCatalogue() throws {
        var catalogue = Self.sample
        catalogue.matters[0].department = "tourism"
        catalogue.matters[1].promisedLimitDays = catalogue.matters[1].legalLimitDays + 1
        catalogue.matters.append(catalogue.matters[2])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("catalogue-\(UUID().uuidString).json")
        try JSONEncoder().encode(catalogue).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let error = #expect(throws: CatalogueError.self) {
            try IntakeSettings(region: try DivisionCode("130100"), environment: EnvironmentVariables(["TONGBAN_CATALOGUE_FILE": file.path]))
        }
        let problems = try #require(error?.problems)
        #expect(problems.count == 3)
        #expect(problems.contains { $0.contains("unknown department tourism in region 130100") })
        #expect(problems.contains { $0.contains("the promised limit") && $0.contains("is above the legal limit") })
        #expect(problems.contains { $0.contains("matter \(catalogue.matters[2].code) is listed twice") })
        #expect(problems.allSatisfy { $0.hasPrefix(file.lastPathComponent) })
    }

    @Test("a catalogue of another region, or of a format this code does not read, is refused")
    func wrongRegionOrFormat() throws {
        var catalogue = Self.sample
        catalogue.format = 2
        #expect(catalogue.validationProblems() == ["format 2 is not supported (this code reads format 1)"])
        #expect(throws: CatalogueError.self) {
            try IntakeSettings(region: try DivisionCode("110100"), environment: EnvironmentVariables([:]))
        }
    }

    @Test("anyone reads matters, bundles and their details without a token; unknown codes are 404")
    func publicRoutes() async throws {
        try await IntakeFixture.run { intake in
            let matters = try await intake.get("/matters", as: nil)
            #expect(matters.status == .ok)
            let list = try matters.decode(MatterList.self)
            #expect(list.catalogueVersion == Self.sample.version)
            #expect(list.matters.count == Self.sample.matters.count)
            #expect(list.matters.first { $0.code == "beijing-branch-registration" }?.handedOver == true)

            let detail = try await intake.get("/matters/public-place-hygiene-licence", as: nil).decode(MatterDetail.self)
            #expect(detail.materials.filter(\.replaceableByCommitment).map(\.code) == ["hygiene-evaluation-report", "staff-health-certificates"])
            #expect(detail.commitment?.statement.contains("承诺") == true)

            let bundles = try await intake.get("/bundles", as: nil)
            #expect(bundles.status == .ok)
            #expect(try await intake.get("/bundles/restaurant-opening", as: nil).status == .ok)
            #expect(try await intake.get("/matters/no-such-matter", as: nil).status == .notFound)
            #expect(try await intake.get("/bundles/no-such-bundle/notice", as: nil).status == .notFound)
        }
    }

    @Test("the one-time notice (一次性告知) of a bundle lists every document once, with what each matter needs and what a commitment replaces")
    func bundleNotice() async throws {
        try await IntakeFixture.run { intake in
            let response = try await intake.get("/bundles/restaurant-opening/notice", as: nil)
            #expect(response.status == .ok)
            let notice = try response.decode(OneTimeNotice.self)
            #expect(notice.title == "一次性告知书：开餐馆一件事")
            let codes = notice.materials.map(\.code)
            #expect(codes.count == Set(codes).count)
            #expect(Set(codes) == Set(SampleMaterials.restaurantMandatory + SampleMaterials.restaurantTolerable + ["hygiene-evaluation-report", "staff-health-certificates"]))
            let identity = try #require(notice.materials.first { $0.code == "applicant-identity" })
            #expect(identity.neededFor == ["company-establishment-registration", "food-business-licence", "public-place-hygiene-licence"])
            #expect(notice.materials.first { $0.code == "food-safety-rules" }?.requirement == .tolerable)
            #expect(notice.materials.first { $0.code == "staff-health-certificates" }?.replaceableByCommitmentFor == ["public-place-hygiene-licence"])
            #expect(notice.commitments.map(\.matterCode) == ["public-place-hygiene-licence"])
            #expect(notice.deficiencyLimitDays == 5)

            let single = try await intake.get("/matters/water-abstraction-permit/notice", as: nil).decode(OneTimeNotice.self)
            #expect(single.materials.map(\.code) == ["applicant-identity", "water-abstraction-application", "water-resources-assessment", "third-party-statement"])
        }
    }
}

