import Domain
import Foundation
import ServiceKit

/// What intake reads from its environment beyond every service's configuration.
struct IntakeSettings: Sendable {
    /// The catalogue in force: TONGBAN_CATALOGUE_FILE, or the home region's sample that ships with intake.
    var catalogue: MatterCatalogue
    /// The home region's working days, for the 容缺受理 deadline.
    var calendar: WorkingCalendar
    /// The largest material accepted, in bytes (TONGBAN_MAX_MATERIAL_BYTES).
    var maximumMaterialBytes: Int
    /// The largest application or supplement body, in bytes (TONGBAN_MAX_APPLICATION_BYTES):
    /// materials travel inside it in base64.
    var maximumApplicationBytes: Int
    /// All of one case's materials together, in bytes (TONGBAN_MAX_CASE_MATERIAL_BYTES): a
    /// partner region receives a handed-over case's materials whole, so they are bounded here.
    var maximumCaseMaterialBytes: Int

    /// What a material must be to be accepted.
    var materialRules: MaterialRules { MaterialRules(maximumBytes: maximumMaterialBytes, maximumCaseBytes: maximumCaseMaterialBytes) }

    static let defaultMaximumMaterialBytes = 8 * 1024 * 1024
    static let defaultMaximumApplicationBytes = 48 * 1024 * 1024
    static let defaultMaximumCaseMaterialBytes = 64 * 1024 * 1024

    init(catalogue: MatterCatalogue, calendar: WorkingCalendar, maximumMaterialBytes: Int = defaultMaximumMaterialBytes, maximumApplicationBytes: Int = defaultMaximumApplicationBytes,
         maximumCaseMaterialBytes: Int = defaultMaximumCaseMaterialBytes) {
        self.catalogue = catalogue
        self.calendar = calendar
        self.maximumMaterialBytes = maximumMaterialBytes
        self.maximumApplicationBytes = maximumApplicationBytes
        self.maximumCaseMaterialBytes = maximumCaseMaterialBytes
    }

    /// Reads the settings for `region`; a catalogue that does not load, or is not `region`'s,
    /// stops the service with every problem it has.
    init(region: DivisionCode, environment: EnvironmentVariables) throws {
        let catalogue: MatterCatalogue
        if let path = environment.values["TONGBAN_CATALOGUE_FILE"] {
            catalogue = try MatterCatalogue.load(file: URL(fileURLWithPath: path))
        } else {
            catalogue = try Self.sampleCatalogue(region: region.value)
        }
        guard catalogue.region == region.value else {
            throw CatalogueError(problems: ["catalogue \(catalogue.version) is the catalogue of \(catalogue.region), but this window serves \(region.value) (TONGBAN_REGION)"])
        }
        self.init(
            catalogue: catalogue,
            calendar: try WorkingCalendar.load(region: region.value, directory: environment.calendarDirectory),
            maximumMaterialBytes: try environment.integer("TONGBAN_MAX_MATERIAL_BYTES", default: Self.defaultMaximumMaterialBytes, in: 1...(256 * 1024 * 1024)),
            maximumApplicationBytes: try environment.integer("TONGBAN_MAX_APPLICATION_BYTES", default: Self.defaultMaximumApplicationBytes, in: (64 * 1024)...(1024 * 1024 * 1024)),
            maximumCaseMaterialBytes: try environment.integer("TONGBAN_MAX_CASE_MATERIAL_BYTES", default: Self.defaultMaximumCaseMaterialBytes, in: 1...(4 * 1024 * 1024 * 1024))
        )
    }

    /// The catalogue that ships with intake for `region` (Catalogue/<region>.json).
    static func sampleCatalogue(region: String) throws -> MatterCatalogue {
        guard let url = Bundle.module.url(forResource: region, withExtension: "json", subdirectory: "Catalogue") else {
            throw CatalogueError(problems: ["no catalogue ships for region \(region); set TONGBAN_CATALOGUE_FILE"])
        }
        return try MatterCatalogue.load(file: url)
    }
}
