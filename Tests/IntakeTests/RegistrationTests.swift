import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Intake
import Messaging
import Postgres
import ServiceKit
import ServiceTestSupport
import Testing
import TongbanClient

/// The window's three answers to an application, and what it stores for each — through HTTP,
/// PostgreSQL and Tansu.
@Suite("registration at the window (一窗受理)")
struct RegistrationTests {
    @Test("a complete application is accepted: a case number of the region and day, the case with its timeline, and its event")
    func accepted() async throws {
        try await IntakeFixture.run { intake in
            let application = ApplicationRequest.make(
                matter: "water-abstraction-permit", applicant: ApplicationRequest.person,
                materials: ["applicant-identity", "water-abstraction-application", "water-resources-assessment", "third-party-statement"]
            )
            let response = try await intake.apply(application, as: IntakeFixture.wang)
            #expect(response.status == .created)
            let receipt = try response.decode(CaseReceipt.self)
            #expect(receipt.outcome == .accepted)
            #expect(receipt.deficiencies.isEmpty)
            #expect(response.headers[.location] == "/cases/\(receipt.caseNumber)")
            let today = CaseNumber(region: try DivisionCode("130100"), acceptedAt: Date(), sequence: 1).day
            #expect(receipt.caseNumber.hasPrefix("130100-\(today)-"))
            #expect(receipt.applicant == ApplicantRecord(kind: .person, name: "王建国", identifier: "11010519491231002X", account: "applicant-wang"))
            #expect(receipt.materials.count == 4)
            #expect(receipt.matters.map(\.department) == ["water-resources"])

            let view = try await intake.caseView(receipt.caseNumber, as: IntakeFixture.wang)
            #expect(view.status == .accepted)
            #expect(view.timeline.map(\.kind) == ["accepted"])
            #expect(Set(view.materials.map(\.sha256)) == Set(receipt.materials.map(\.sha256)))

            let events = try await intake.region.events(on: .caseSubmitted, key: receipt.caseNumber)
            let submitted = try #require(events.first).decode(CaseSubmitted.self)
            #expect(submitted.caseNumber == receipt.caseNumber)
            #expect(submitted.matters.first?.licence?.name == "取水许可证")
            #expect(submitted.catalogueVersion == receipt.catalogueVersion)
        }
    }

    @Test("numbers count up within the region and day")
    func numbersCountUp() async throws {
        try await IntakeFixture.run { intake in
            let application = ApplicationRequest.make(matter: "eia-registration-filing", materials: ["applicant-identity", "eia-registration-form"])
            let first = try await intake.applyAccepted(application)
            let second = try await intake.applyAccepted(application)
            let (a, b) = (try CaseNumber(first.caseNumber), try CaseNumber(second.caseNumber))
            #expect(a.day == b.day && b.sequence == a.sequence + 1)
        }
    }

    @Test("tolerable gaps are accepted with deficiency (容缺受理): what is owed, due on the 5th working day; supplying it clears the debt")
    func acceptedWithDeficiency() async throws {
        try await IntakeFixture.run { intake in
            let application = ApplicationRequest.make(bundle: "industrial-project-four-permits", materials: SampleMaterials.fourPermitsMandatory)
            let response = try await intake.apply(application)
            #expect(response.status == .created)
            let receipt = try response.decode(CaseReceipt.self)
            #expect(receipt.outcome == .acceptedWithDeficiency)
            #expect(receipt.bundle?.name == "社会投资工业项目“四证齐发”")
            #expect(Set(receipt.deficiencies.map(\.materialCode)) == Set(SampleMaterials.fourPermitsTolerable))
            let calendar = try WorkingCalendar.load(region: "130100")
            let due = calendar.workingDay(5, after: calendar.day(of: Date())).description
            #expect(receipt.deficiencies.allSatisfy { $0.dueBy == due })
            #expect(receipt.matters.map(\.code) == ["real-estate-first-registration", "construction-land-planning-permit", "construction-project-planning-permit", "construction-permit"])

            let submitted = try #require(try await intake.region.events(on: .caseSubmitted, key: receipt.caseNumber).first).decode(CaseSubmitted.self)
            #expect(submitted.deficiencies == receipt.deficiencies)
            #expect(submitted.matters.first { $0.code == "construction-project-planning-permit" }?.stepsBeforeDecision == ["joint-inspection"])
            #expect(Set(submitted.matters.compactMap(\.licence?.name)) == ["不动产权证书", "建设用地规划许可证", "建设工程规划许可证", "建筑工程施工许可证"])

            var view = try await intake.caseView(receipt.caseNumber)
            #expect(view.status == .acceptedWithDeficiency)

            // One material is not owed: refused, naming it; the owed ones clear the debt.
            let wrong = try await intake.post("/cases/\(receipt.caseNumber)/supplements", json: ["materials": [MaterialUpload.document("eia-report-form")]], as: IntakeFixture.alice)
            #expect(wrong.status == .badRequest)
            #expect(wrong.problem?.errors?.first?.field == "materials[0].code")
            let supply = try await intake.post(
                "/cases/\(receipt.caseNumber)/supplements",
                json: ["materials": SampleMaterials.fourPermitsTolerable.map { MaterialUpload.document($0) }],
                as: IntakeFixture.alice
            )
            #expect(supply.status == .created, "\(supply.text)")
            view = try await intake.caseView(receipt.caseNumber)
            #expect(view.status == .accepted)
            #expect(view.deficiencies.allSatisfy { $0.suppliedAt != nil })
            #expect(view.timeline.map(\.kind) == ["accepted", "materials-supplemented"])
            let supplemented = try #require(try await intake.region.events(on: .materialsSupplemented, key: receipt.caseNumber).first).decode(MaterialsSupplemented.self)
            #expect(Set(supplemented.materials.map(\.code)) == Set(SampleMaterials.fourPermitsTolerable))
        }
    }

    @Test("missing mandatory materials and an unsigned commitment are refused all at once (422), and nothing is stored")
    func refused() async throws {
        try await IntakeFixture.run { intake in
            let handedIn = SampleMaterials.restaurantMandatory.filter { $0 != "articles-of-association" && $0 != "food-premises-layout" }
            let response = try await intake.apply(ApplicationRequest.make(bundle: "restaurant-opening", materials: handedIn))
            #expect(response.status == .unprocessableContent)
            #expect(response.problem != nil)
            let refusal = try response.decode(RegistrationRefusal.self)
            #expect(refusal.type == "urn:tongban:problem:registration-refused")
            #expect(refusal.missing.map { "\($0.kind.rawValue) \($0.matterCode) \($0.code)" } == [
                "material company-establishment-registration articles-of-association",
                "material food-business-licence food-premises-layout",
                "commitment public-place-hygiene-licence public-place-hygiene-licence",
                "material public-place-hygiene-licence hygiene-evaluation-report",
                "material public-place-hygiene-licence staff-health-certificates",
            ])
            #expect(try await intake.storedRows().values.allSatisfy { $0 == 0 })
        }
    }

    @Test("a signed commitment (告知承诺) stands in for the materials it names and travels with the case")
    func commitment() async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(ApplicationRequest.make(
                bundle: "restaurant-opening",
                materials: SampleMaterials.restaurantMandatory + SampleMaterials.restaurantTolerable,
                commitments: ["public-place-hygiene-licence"]
            ))
            #expect(receipt.outcome == .accepted)
            #expect(receipt.matters.map(\.mode) == [.immediate, .standard, .commitment])
            let submitted = try #require(try await intake.region.events(on: .caseSubmitted, key: receipt.caseNumber).first).decode(CaseSubmitted.self)
            let commitment = try #require(submitted.commitments?.first)
            #expect(commitment.matterCode == "public-place-hygiene-licence")
            #expect(commitment.replacesMaterials == ["hygiene-evaluation-report", "staff-health-certificates"])
            #expect(submitted.matters.first { $0.mode == .commitment }?.verificationLimitDays == 20)
        }
    }

    @Test("a partner region's matter is accepted here and marked with its region for the relay")
    func partnerRegion() async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(ApplicationRequest.make(
                matter: "beijing-branch-registration",
                materials: ["applicant-identity", "branch-registration-application", "parent-company-licence", "premises-proof"]
            ))
            #expect(receipt.matters.map(\.region) == ["110100"])
            let submitted = try #require(try await intake.region.events(on: .caseSubmitted, key: receipt.caseNumber).first).decode(CaseSubmitted.self)
            #expect(submitted.region == "130100")
            #expect(submitted.matters.first?.region == "110100")
            #expect(submitted.matters.first?.departmentName == "北京市市场监督管理局")
            #expect(try await intake.caseView(receipt.caseNumber).matters.first?.handedOver == true)
        }
    }
}

/// Identities with their real check digits; a bad request stores nothing and says which field
/// is wrong and why.
@Suite("validation of applications")
struct ValidationTests {
    static let material = ["applicant-identity", "eia-registration-form"]

    @Test("the standards' worked examples are accepted", arguments: [
        ApplicationRequest.Applicant(name: "张三", residentIdentityNumber: "11010519491231002X"),
        ApplicationRequest.Applicant(name: "李四", residentIdentityNumber: "440524188001010014"),
        ApplicationRequest.Applicant(name: "示例企业", unifiedSocialCreditCode: "91350100M000100Y43"),
        ApplicationRequest.Applicant(name: "示例企业", unifiedSocialCreditCode: "91110000600037341L"),
    ])
    func workedExamples(applicant: ApplicationRequest.Applicant) async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(ApplicationRequest.make(matter: "eia-registration-filing", applicant: applicant, materials: Self.material))
            #expect(receipt.applicant.identifier == (applicant.residentIdentityNumber ?? applicant.unifiedSocialCreditCode))
        }
    }

    @Test("a wrong check character, an impossible division code or both identifiers are 400s naming each field, and nothing is stored")
    func wrongCheckDigits() async throws {
        try await IntakeFixture.run { intake in
            var application = ApplicationRequest.make(matter: "eia-registration-filing", applicant: .init(name: "张三", residentIdentityNumber: "110105194912310021"), materials: Self.material)
            application.site = .init(divisionCode: "990100", address: "某地")
            let person = try await intake.apply(application)
            #expect(person.status == .badRequest)
            let errors = try #require(person.problem?.errors)
            #expect(errors.map(\.field) == ["applicant.residentIdentityNumber", "site.divisionCode"])
            #expect(errors[0].problem.contains("the check character is 1 but the other characters give X"))
            #expect(errors[1].problem.contains("990100 is not an administrative division code"))

            let enterprise = try await intake.apply(ApplicationRequest.make(
                matter: "eia-registration-filing", applicant: .init(name: "示例企业", unifiedSocialCreditCode: "91350100M000100Y40"), materials: Self.material
            ))
            #expect(enterprise.problem?.errors?.map(\.field) == ["applicant.unifiedSocialCreditCode"])
            #expect(enterprise.problem?.errors?.first?.problem.contains("check character") == true)

            let both = try await intake.apply(ApplicationRequest.make(
                matter: "eia-registration-filing",
                applicant: .init(name: "张三", residentIdentityNumber: "11010519491231002X", unifiedSocialCreditCode: "91350100M000100Y43"),
                materials: Self.material
            ))
            #expect(both.problem?.errors?.map(\.field) == ["applicant"])
            #expect(try await intake.storedRows().values.allSatisfy { $0 == 0 })
        }
    }

    @Test("a NUL or another control character in any text of the application is a 400 naming the field, before PostgreSQL sees it, and nothing is stored")
    func controlCharactersInTheBody() async throws {
        try await IntakeFixture.run { intake in
            var named = ApplicationRequest.make(matter: "eia-registration-filing", applicant: .init(name: "张\u{0}三", residentIdentityNumber: "11010519491231002X"), materials: Self.material)
            named.site = .init(divisionCode: "130102", address: "石家庄市长安区\u{1B}建设北大街")
            let refused = try await intake.apply(named)
            #expect(refused.status == .badRequest, "\(refused.text)")
            let problems = Dictionary(uniqueKeysWithValues: (refused.problem?.errors ?? []).map { ($0.field, $0.problem) })
            #expect(Set(problems.keys) == ["applicant.name", "site.address"])
            #expect(problems["applicant.name"]?.contains("U+0000") == true)
            #expect(problems["site.address"]?.contains("U+001B") == true)
            #expect(try await intake.storedRows().values.allSatisfy { $0 == 0 })
            // A multi-line address is text.
            var lines = ApplicationRequest.make(matter: "eia-registration-filing", applicant: .init(name: "张三", residentIdentityNumber: "11010519491231002X"), materials: Self.material)
            lines.site = .init(divisionCode: "130102", address: "石家庄市长安区\n建设北大街 19 号")
            #expect(try await intake.apply(lines).status == .created)
        }
    }

    @Test("a tampered material (SHA-256 mismatch) is refused naming the material, and nothing is stored")
    func tamperedMaterial() async throws {
        try await IntakeFixture.run { intake in
            var application = ApplicationRequest.make(matter: "eia-registration-filing", materials: Self.material)
            // The digest was computed over the document as signed; one byte changed on the way.
            let original = Data("%PDF-1.7 建设项目环境影响登记表 面积 1200 平方米 %%EOF".utf8)
            var altered = original
            altered[altered.count - 10] ^= 0x01
            var forged = MaterialUpload(code: "eia-registration-form", mediaType: "application/pdf", content: altered, fileName: nil)
            forged.sha256 = MaterialUpload.sha256Hex(original)
            application.materials[1] = forged
            let response = try await intake.apply(application)
            #expect(response.status == .badRequest)
            let error = try #require(response.problem?.errors?.first)
            #expect(error.field == "materials[1].sha256")
            #expect(error.problem.contains("eia-registration-form (建设项目环境影响登记表)"))
            #expect(error.problem.contains(MaterialUpload.sha256Hex(altered)))
            #expect(try await intake.storedRows().values.allSatisfy { $0 == 0 })
        }
    }

    @Test("a material above the size limit, of an unaccepted type or not needed by the matter is refused by field")
    func materialLimits() async throws {
        try await IntakeFixture.run(environment: ["TONGBAN_MAX_MATERIAL_BYTES": "1024"]) { intake in
            var application = ApplicationRequest.make(matter: "eia-registration-filing", materials: Self.material + ["site-plan"])
            application.materials[0] = .document("applicant-identity", content: Data(repeating: 0x25, count: 1025))
            application.materials[1].mediaType = "application/x-msdownload"
            let response = try await intake.apply(application)
            #expect(response.status == .badRequest)
            let errors = try #require(response.problem?.errors)
            #expect(errors.map(\.field) == ["materials[0].contentBase64", "materials[1].mediaType", "materials[2].code"])
            #expect(errors[0].problem.contains("at most 1024"))
            #expect(try await intake.storedRows().values.allSatisfy { $0 == 0 })
        }
    }

    @Test("materials that together pass the case limit (TONGBAN_MAX_CASE_MATERIAL_BYTES) are refused before anything is stored or sent to a partner")
    func caseLimit() async throws {
        try await IntakeFixture.run(environment: ["TONGBAN_MAX_CASE_MATERIAL_BYTES": "1000"]) { intake in
            var application = ApplicationRequest.make(matter: "eia-registration-filing", materials: Self.material)
            for index in application.materials.indices {
                application.materials[index] = .document(application.materials[index].code, content: Data(repeating: 0x25, count: 600))
            }
            let response = try await intake.apply(application)
            #expect(response.status == .badRequest)
            let error = try #require(response.problem?.errors?.first)
            #expect(error.field == "materials")
            #expect(error.problem.contains("at most 1000"), "\(error.problem)")
            #expect(try await intake.storedRows().values.allSatisfy { $0 == 0 })
            #expect(try await intake.runtime.database.query("SELECT 1 FROM outbox").count == 0)
        }
    }

    @Test("an unknown matter, or a commitment for a matter not decided on commitment, is a 400")
    func unknownTargets() async throws {
        try await IntakeFixture.run { intake in
            let unknown = try await intake.apply(ApplicationRequest.make(matter: "no-such-matter", materials: ["applicant-identity"]))
            #expect(unknown.problem?.errors?.map(\.field) == ["matter"])
            let commitment = try await intake.apply(ApplicationRequest.make(matter: "eia-registration-filing", materials: Self.material, commitments: ["eia-registration-filing"]))
            #expect(commitment.problem?.errors?.map(\.field) == ["commitments[0].matterCode"])
        }
    }
}
