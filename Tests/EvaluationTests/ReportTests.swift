import Domain
@testable import Evaluation
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing
import TongbanClient

/// November 2026 at a service centre: 22 completed cases (plus one from October and three still
/// open), their ratings and rectifications, and the rates worked out by hand below.
///
/// Every case was accepted Monday 2 November 09:00; the clocks run from the 3rd. Decision times:
/// G = 6 Nov 12:00 (on time, green), Y = 9 Nov 12:00 (on time, yellow: half a day left of five),
/// R = 12 Nov 12:00 (late: the five promised days ended 10 Nov 00:00), L = 25 Nov 12:00 (late and
/// past the legal 15 days of the construction permit, which ended 24 Nov 00:00).
enum NovemberFixture {
    enum When: String { case g, y, r, l }

    struct Case {
        var index: Int
        var decisions: [(Sample.MatterSpec, When)]
        var rating: RatingLevel?
        /// Rectifications the departments finish (action and callback), by department.
        var closes: [String] = []
    }

    static let food = Sample.foodLicence
    static let building = Sample.constructionPermit
    static let equipment = Sample.specialEquipment

    static let cases: [Case] = [
        Case(index: 1, decisions: [(food, .g)], rating: .verySatisfied),
        Case(index: 2, decisions: [(food, .g)], rating: .satisfied),
        Case(index: 3, decisions: [(food, .y)], rating: .basicallySatisfied),
        Case(index: 4, decisions: [(food, .r)], rating: .dissatisfied, closes: ["market-regulation"]),
        Case(index: 5, decisions: [(food, .g)], rating: nil),
        Case(index: 6, decisions: [(food, .g)], rating: nil),
        Case(index: 7, decisions: [(building, .g)], rating: .verySatisfied),
        Case(index: 8, decisions: [(building, .y)], rating: .satisfied),
        Case(index: 9, decisions: [(building, .r)], rating: .veryDissatisfied),
        Case(index: 10, decisions: [(building, .l)], rating: .dissatisfied, closes: ["housing-construction"]),
        Case(index: 11, decisions: [(building, .g)], rating: nil),
        Case(index: 12, decisions: [(food, .g), (building, .g)], rating: .satisfied),
        Case(index: 13, decisions: [(food, .y), (building, .r)], rating: .dissatisfied, closes: ["market-regulation"]),
        Case(index: 14, decisions: [(food, .g), (building, .g)], rating: nil),
        Case(index: 15, decisions: [(equipment, .g)], rating: .verySatisfied),
        Case(index: 16, decisions: [(equipment, .g)], rating: nil),
        Case(index: 17, decisions: [(food, .g), (equipment, .g)], rating: .basicallySatisfied),
        Case(index: 18, decisions: [(food, .g)], rating: .satisfied),
        Case(index: 19, decisions: [(building, .g)], rating: .satisfied),
        Case(index: 20, decisions: [(food, .r)], rating: nil),
        Case(index: 21, decisions: [(building, .y)], rating: .verySatisfied),
        Case(index: 22, decisions: [(food, .g)], rating: .veryDissatisfied),
    ]

    static let accepted = EvaluationFixture.at("2026-11-02T09:00")
    static let now = "2026-11-30T18:00"

    static func number(_ index: Int) -> String { String(format: "130100-20261102-%06d", index) }

    static func decidedAt(_ when: When) -> Date {
        switch when {
        case .g: EvaluationFixture.at("2026-11-06T12:00")
        case .y: EvaluationFixture.at("2026-11-09T12:00")
        case .r: EvaluationFixture.at("2026-11-12T12:00")
        case .l: EvaluationFixture.at("2026-11-25T12:00")
        }
    }

    /// Publishes the month as approval would, rates as the applicants would and rectifies as the
    /// departments and supervisors would, through the HTTP API.
    static func load(into fixture: EvaluationFixture) async throws {
        for item in cases {
            let number = number(item.index)
            let decisions = item.decisions.enumerated().map { offset, pair in
                Sample.decision("\(number)-\(offset)", pair.0, accepted: accepted, decidedAt: decidedAt(pair.1))
            }
            try await fixture.publish(Sample.bundleDecided(number, account: "applicant-\(item.index)", accepted: accepted, decisions: decisions), to: .bundleDecided, key: number)
        }
        // October's case is outside the period.
        let october = "130100-20261012-000001"
        let octoberAccepted = EvaluationFixture.at("2026-10-12T09:00")
        try await fixture.publish(Sample.bundleDecided(october, account: "applicant-oct", accepted: octoberAccepted, decisions: [
            Sample.decision("\(october)-0", food, accepted: octoberAccepted, decidedAt: EvaluationFixture.at("2026-10-20T12:00")),
        ]), to: .bundleDecided, key: october)
        // Still open: food accepted Monday 23 Nov (a quarter day left: yellow), a construction
        // permit from 2 Nov (red and past its legal limit), equipment from 27 Nov (green).
        for (index, matter, accepted) in [(24, food, "2026-11-23T09:00"), (25, building, "2026-11-02T09:00"), (26, equipment, "2026-11-27T09:00")] {
            let number = number(index)
            try await fixture.publish(Sample.opened(number, accepted: EvaluationFixture.at(accepted), tasks: [("\(number)-0", matter)]), to: .tasksOpened, key: number)
        }
        let settled = try await eventually {
            let completed = try await fixture.count("SELECT count(*) FROM cases WHERE completed_at IS NOT NULL")
            let read = try await fixture.count("SELECT count(*) FROM tasks WHERE checked_at IS NOT NULL")
            return completed == 23 && read == 30
        }
        try #require(settled, "the fixture's events were not all applied")

        for item in cases {
            guard let level = item.rating else { continue }
            let response = try await fixture.post("/cases/\(number(item.index))/rating", rawJSON: #"{"level":"\#(level.rawValue)","channel":"web"}"#, as: EvaluationFixture.applicant("applicant-\(item.index)"))
            try #require(response.status == .created, "\(response.text)")
            let rated = try response.decode(CaseRating.self)
            for rectification in rated.rectifications where item.closes.contains(rectification.department) {
                let officer = rectification.department == "market-regulation" ? EvaluationFixture.marketOfficer : EvaluationFixture.housingOfficer
                let acted = try await fixture.post("/rectifications/\(rectification.id)/action", json: ["description": "已整改"], as: officer)
                try #require(acted.status == .ok, "\(acted.text)")
                let closed = try await fixture.post("/rectifications/\(rectification.id)/callback", json: CallbackBody(summary: "已回访", applicantSatisfied: true), as: EvaluationFixture.supervisor)
                try #require(closed.status == .ok, "\(closed.text)")
            }
        }
    }
}

@Suite("reports and the dashboard")
struct ReportTests {
    func expectRate(_ actual: Double?, _ numerator: Double, _ denominator: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.map { abs($0 - numerator / denominator) < 1e-9 } == true, "\(what): \(String(describing: actual)) is not \(numerator)/\(denominator)", sourceLocation: sourceLocation)
    }

    @Test("the report's rates by department and by matter match the hand-computed values of a month of 22 cases")
    func ratesMatchHandComputedValues() async throws {
        try await EvaluationFixture.run(start: EvaluationFixture.at(NovemberFixture.now)) { fixture in
            try await NovemberFixture.load(into: fixture)
            let response = try await fixture.get("/reports?from=2026-11-01&to=2026-11-30&groupBy=department", as: EvaluationFixture.supervisor)
            #expect(response.status == .ok, "\(response.text)")
            let report = try response.decode(Report.self)
            #expect(report.rows.map(\.key) == ["housing-construction", "market-regulation"])
            let market = try #require(report.rows.first { $0.key == "market-regulation" })
            let housing = try #require(report.rows.first { $0.key == "housing-construction" })

            // 市场监管: cases 1–6, 12–18 less 13's partner … — 15 completed cases with a task of
            // theirs, 10 rated, 7 of them 基本满意 or better; 16 tasks (case 17 has two), 14 on time
            // (4 and 20 were late); 13 food tasks at 5/20 and 3 equipment tasks at 10/20;
            // rectifications of cases 4, 13 (closed) and 22 (open).
            #expect(market.completedCases == 15 && market.ratedCases == 10 && market.positiveRatings == 7)
            expectRate(market.positiveRatingRate, 7, 10, "market 好评率")
            expectRate(market.activeRatingRate, 10, 15, "market 主动评价率")
            #expect(market.decidedTasks == 16 && market.onTimeTasks == 14)
            expectRate(market.onTimeCompletionRate, 14, 16, "market 按时办结率")
            expectRate(market.promisedShareOfLegalLimit, 13 * 0.25 + 3 * 0.5, 16, "market promised share")
            #expect(market.rectifications == 3 && market.closedRectifications == 2)
            expectRate(market.rectificationRate, 2, 3, "market 整改率")
            #expect(market.lights == Report.Lights(green: 12, yellow: 2, red: 2, legalOverdue: 0))

            // 住建: cases 7–14, 19, 21 — 10 completed, 8 rated, 5 positive; 10 tasks, 7 on time (9,
            // 10 and 13 late), all at 5/15; rectifications of 9 (open), 10 (closed), 13 (open).
            #expect(housing.completedCases == 10 && housing.ratedCases == 8 && housing.positiveRatings == 5)
            expectRate(housing.positiveRatingRate, 5, 8, "housing 好评率")
            expectRate(housing.activeRatingRate, 8, 10, "housing 主动评价率")
            expectRate(housing.onTimeCompletionRate, 7, 10, "housing 按时办结率")
            expectRate(housing.promisedShareOfLegalLimit, 1, 3, "housing promised share")
            expectRate(housing.rectificationRate, 1, 3, "housing 整改率")
            #expect(housing.lights == Report.Lights(green: 5, yellow: 2, red: 3, legalOverdue: 1))

            // Everyone: 22 cases (October's is outside), 16 rated, 11 positive; 26 tasks, 21 on time;
            // 6 rectifications, 3 closed.
            let total = report.total
            #expect(total.completedCases == 22 && total.ratedCases == 16)
            expectRate(total.positiveRatingRate, 11, 16, "total 好评率")
            expectRate(total.activeRatingRate, 16, 22, "total 主动评价率")
            expectRate(total.onTimeCompletionRate, 21, 26, "total 按时办结率")
            expectRate(total.promisedShareOfLegalLimit, 13 * 0.25 + 3 * 0.5 + 10.0 / 3, 26, "total promised share")
            expectRate(total.rectificationRate, 3, 6, "total 整改率")
            #expect(total.lights == Report.Lights(green: 17, yellow: 4, red: 5, legalOverdue: 1))

            // By matter, 食品经营许可: 13 cases, 9 rated, 6 positive, 11 of 13 on time; the market
            // rectifications of cases 4, 13 and 22 (2 closed).
            let byMatter = try await fixture.get("/reports?from=2026-11-01&to=2026-11-30&groupBy=matter", as: EvaluationFixture.supervisor).decode(Report.self)
            let foodRow = try #require(byMatter.rows.first { $0.key == Sample.foodLicence.code })
            #expect(foodRow.completedCases == 13 && foodRow.ratedCases == 9)
            expectRate(foodRow.positiveRatingRate, 6, 9, "food 好评率")
            expectRate(foodRow.onTimeCompletionRate, 11, 13, "food 按时办结率")
            expectRate(foodRow.rectificationRate, 2, 3, "food 整改率")
            #expect(byMatter.rows.count == 3)

            // Officers and applicants do not read reports.
            #expect(try await fixture.get("/reports", as: EvaluationFixture.marketOfficer).status == .forbidden)
            #expect(try await fixture.get("/reports?from=2026-11-31", as: EvaluationFixture.supervisor).problem?.errors?.map(\.field) == ["from"])
        }
    }

    @Test("the dashboard, rendered by headless Chromium, shows the departments, their lights, the overdue list and the rates")
    func dashboardInChromium() async throws {
        try await EvaluationFixture.run(start: EvaluationFixture.at(NovemberFixture.now)) { fixture in
            try await NovemberFixture.load(into: fixture)
            let port = try #require(fixture.client.port)
            let token = try await fixture.region.token(EvaluationFixture.supervisor)
            let url = "http://127.0.0.1:\(port)/dashboard?from=2026-11-01&to=2026-11-30#token=\(token)"
            let chromium = ["--headless", "--disable-gpu", "--no-sandbox", "--virtual-time-budget=8000", "--window-size=1400,1500"]
            let (status, dom) = try await runCommand("/usr/bin/chromium", chromium + ["--dump-dom", url], timeout: .seconds(90))
            #expect(status == 0)

            func row(_ marker: String) -> String {
                guard let start = dom.range(of: marker) else { return "" }
                return String(dom[start.lowerBound...].prefix { $0 != "\n" }.split(separator: "</tr>").first ?? "")
            }
            // Lights of the open tasks: market regulation has one green and one yellow, housing one
            // red that is past its legal limit too.
            let marketLights = row(#"data-department="market-regulation""#)
            #expect(marketLights.contains("石家庄市市场监督管理局"))
            #expect(marketLights.contains(#"<span class="light green">1</span>"#) && marketLights.contains(#"<span class="light yellow">1</span>"#) && marketLights.contains(#"<span class="light red">0</span>"#))
            let housingLights = row(#"data-department="housing-construction""#)
            #expect(housingLights.contains("石家庄市住房和城乡建设局"))
            #expect(housingLights.contains(#"<span class="light red">1</span>"#) && housingLights.contains(#"<span class="light legal">1</span>"#))
            // The overdue list names the open construction permit.
            #expect(dom.contains(NovemberFixture.number(25)))
            // The rates, as percentages with one decimal.
            let marketRates = row(#"data-rates="market-regulation""#)
            for rate in ["70.0%", "66.7%", "87.5%", "29.7%"] { #expect(marketRates.contains(rate), "market rates lack \(rate): \(marketRates)") }
            let housingRates = row(#"data-rates="housing-construction""#)
            for rate in ["62.5%", "80.0%", "70.0%", "33.3%"] { #expect(housingRates.contains(rate), "housing rates lack \(rate): \(housingRates)") }
            let totalRates = row(#"data-rates="all""#)
            for rate in ["68.8%", "72.7%", "80.8%", "50.0%"] { #expect(totalRates.contains(rate), "total rates lack \(rate): \(totalRates)") }

            // A picture for a person to look at.
            let picture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".local/dashboard.png").path
            _ = try await runCommand("/usr/bin/chromium", chromium + ["--screenshot=\(picture)", url], timeout: .seconds(90))
        }
    }
}
