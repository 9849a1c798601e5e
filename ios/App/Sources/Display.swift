// Pure helpers the views use to show core values: the QR's countdown, dates in Vietnam's time
// zone, QR modules, the element picker's starting selection, the names of document kinds.
import Foundation
import Cancuoc

enum Display {
    static let vietnam = TimeZone(identifier: "Asia/Ho_Chi_Minh")!

    static func secondsLeft(_ expiresUnix: Int64, now: Date = Date()) -> Int64 {
        max(0, expiresUnix - Int64(now.timeIntervalSince1970.rounded(.down)))
    }

    static func countdown(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        return String(format: "%d:%02d", s / 60, s % 60)
    }

    static func date(_ unix: Int64) -> String { format(unix, "dd/MM/yyyy") }

    static func dateTime(_ unix: Int64) -> String { format(unix, "HH:mm dd/MM/yyyy") }

    private static func format(_ unix: Int64, _ pattern: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = vietnam
        f.dateFormat = pattern
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(unix)))
    }

    static func isDark(_ m: QrMatrix, _ x: Int, _ y: Int) -> Bool {
        let n = Int(m.size)
        guard (0..<n).contains(x), (0..<n).contains(y), y * n + x < m.modules.count else { return false }
        return m.modules[y * n + x]
    }

    /// What a clinic's reception desk reads from the health insurance card.
    static let clinicReception = ["holder_name", "birth_date", "sex", "card_code", "valid_until",
                                  "registered_facility_code", "registered_facility_name"]

    /// The fixed (always-disclosed) elements plus, for the health insurance card, the clinic's.
    static func initialSelection(_ kind: DocumentKind, _ elements: [ElementView]) -> Set<String> {
        let fixed = elements.filter { !$0.selectable }.map(\.identifier)
        let ids = Set(elements.map(\.identifier))
        let preset = kind == .healthInsurance ? clinicReception.filter(ids.contains) : []
        return Set(fixed + preset)
    }

    static func kindName(_ kind: DocumentKind) -> String {
        switch kind {
        case .citizenIdentity: return L("kind.citizen_identity")
        case .drivingLicence: return L("kind.driving_licence")
        case .healthInsurance: return L("kind.health_insurance")
        case .vehicleRegistration: return L("kind.vehicle_registration")
        }
    }

    /// The sentence a screen shows for a failure: the core's own `reason`, never debug text.
    static func problem(_ error: Error) -> String {
        switch error {
        case let WalletError.Account(_, reason), let WalletError.AccountBlocked(_, reason),
             let WalletError.GateClosed(reason), let WalletError.WrongPasscode(_, reason),
             let WalletError.LockedOut(_, reason), let WalletError.LevelTooLow(reason),
             let WalletError.Document(_, reason), let WalletError.RequestRefused(_, reason),
             let WalletError.Consent(_, reason), let WalletError.Storage(_, reason),
             let WalletError.Input(_, reason):
            return reason
        case let VerificationError.Rejected(_, _, reason), let VerificationError.Input(reason):
            return reason
        default:
            return L("error.generic")
        }
    }
}
