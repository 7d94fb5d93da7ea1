import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import NIOCore
@testable import Seal
import ServiceKit
import ServiceTestSupport
import Signing
import Synchronization
import Testing
import TestSupport

/// The licence as people see it: a certificate page with the holder, the matter, the bureau's seal
/// and a QR code to its verification, rendered by a real browser.
@Suite struct LicencePageTests {
    static let chromium = "/usr/bin/chromium"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: chromium), "Scripts/setup.sh installs Debian's chromium"))
    func headlessChromiumRendersTheCertificate() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            let decided = SealHarness.constructionBundle()
            try await harness.publish(decided)
            let permit = try #require(try await harness.licencesIssued(decided.caseNumber).licences.first { $0.matterCode == "130100-JS-003" })
            // The holder's portal fetches the page with the holder's token and shows it: the browser
            // renders what it was given.
            let page = try await seal.get("/licences/\(permit.licenceNumber)/page", token: try await harness.holderToken())
            #expect(page.status == .ok)
            let profile = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("chromium")).path
            defer { try? FileManager.default.removeItem(atPath: profile) }
            try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
            let file = "\(profile)/licence.html"
            try Data(page.body.readableBytesView).write(to: URL(fileURLWithPath: file))
            let url = "file://\(file)"
            let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile)", "--window-size=900,1000"]

            // What the browser built from the page: the holder, the matter, the seal and the QR code.
            let dom = try await runCommand(Self.chromium, flags + ["--dump-dom", url])
            #expect(dom.status == 0)
            #expect(dom.output.contains("石家庄市长安建筑工程有限公司"))
            #expect(dom.output.contains("建筑工程施工许可证"))
            #expect(dom.output.contains("建筑工程施工许可"))
            #expect(dom.output.contains(permit.licenceNumber))
            #expect(dom.output.contains("class=\"seal\""))
            #expect(dom.output.contains("行政审批专用章"))
            #expect(dom.output.contains("扫码核验 \(permit.licenceNumber)"))
            #expect(dom.output.contains("data-verdict=\"valid\""))

            // The picture itself, kept for a person to look at.
            let artifacts = LocalInfrastructure.repositoryRoot.appendingPathComponent(".local/artifacts")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            let png = artifacts.appendingPathComponent("licence-page.png")
            try? FileManager.default.removeItem(at: png)
            let shot = try await runCommand(Self.chromium, flags + ["--screenshot=\(png.path)", url])
            #expect(shot.status == 0)
            let bytes = try Data(contentsOf: png)
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            #expect(bytes.count > 20_000, "a blank page compresses to far less")
        }
    }

    @Test func pageShowsTheStandingAndMasksAPersonsIdentityNumber() async throws {
        let harness = try SealHarness()
        try await harness.run { seal in
            var decided = SealHarness.constructionBundle()
            decided.applicant = ApplicantRecord(kind: .person, name: "王秀英", identifier: "130102199003074578", account: "applicant-9")
            try await harness.publish(decided)
            let licence = try #require(try await harness.licencesIssued(decided.caseNumber).licences.first)
            // The holder sees their own number whole; the window's clerk, masked.
            let holder = try await harness.region.token(Principal(subject: "applicant-9", role: .applicant, identity: "130102199003074578"))
            let own = try await seal.get("/licences/\(licence.licenceNumber)/page", token: holder)
            #expect(own.status == .ok)
            #expect(own.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: own.body).contains("130102199003074578"))
            let page = try await seal.get("/licences/\(licence.licenceNumber)/page", token: try await harness.token(.clerk))
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("王秀英"))
            #expect(html.contains("1301**********4578"))
            #expect(!html.contains("130102199003074578"))
            // The QR code leads to the verification by reference, not by number.
            #expect(html.contains(try QRCode(licence.verificationURL).svg(pixels: 132, label: "扫码核验 \(licence.licenceNumber)")))
            #expect(licence.verificationURL.hasPrefix("\(SealHarness.publicURL)/verifications/"))
            #expect(try await seal.get("/licences/\(licence.licenceNumber)/page").status == .unauthorized)
            #expect(try await seal.get("/licences/130100-2026-999999/page", token: holder).status == .notFound)
            #expect(try await seal.get("/licences/..%2Fetc/page", token: holder).status == .notFound)
        }
    }

    /// libqrencode's symbol: square, version-sized, with the three finder patterns in place.
    @Test func qrCodeHasItsFinderPatterns() throws {
        let code = try QRCode("http://seal.test/licences/130100-2026-000001/verification")
        #expect(code.size >= 21 && (code.size - 17) % 4 == 0)
        for (row, column) in [(0, 0), (0, code.size - 7), (code.size - 7, 0)] {
            // A finder: a dark 7×7 ring, a light ring inside it, a dark 3×3 centre.
            #expect(code.isDark(row: row, column: column) && code.isDark(row: row + 6, column: column + 6))
            #expect(!code.isDark(row: row + 1, column: column + 1))
            #expect(code.isDark(row: row + 3, column: column + 3))
        }
        #expect(code.svg(pixels: 100, label: "x").hasPrefix("<svg"))
    }

    @Test func statusListBitsAreLeftmostFirstAndSurviveGZIP() throws {
        var list = BitstringStatusList()
        list[0] = true
        list[9] = true
        list[131_071] = true
        #expect(Array(list.bytes.prefix(2)) == [0x80, 0x40])
        let encoded = list.encodedList
        #expect(encoded.hasPrefix("uH4sI"))
        #expect(encoded.count < 1000)
        #expect(BitstringStatusList(encodedList: encoded) == list)
        #expect(BitstringStatusList(encodedList: "uAAAA") == nil)
    }

    @Test func statusIndexesNeverRepeat() {
        let indexes = (0..<BitstringStatusList.minimumLength).map(StatusIndexes.scatter)
        #expect(Set(indexes).count == BitstringStatusList.minimumLength)
        #expect(indexes.prefix(3) != [0, 1, 2])
    }
}
