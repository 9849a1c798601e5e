// The words the sample app shows: Vietnamese first (vi.lproj), English second (en.lproj),
// chosen in the app with the language switch (or from the phone's language on first start).
// Views call L("key") so the switch takes effect without restarting.
import Foundation
import Cancuoc

enum AppLanguage: String, CaseIterable {
    case vi, en

    /// The language the core writes its sentences (errors, labels, titles) in.
    var core: Language { self == .en ? .english : .vietnamese }

    static var stored: AppLanguage {
        if let raw = UserDefaults.standard.string(forKey: "language"), let lang = AppLanguage(rawValue: raw) {
            return lang
        }
        return Locale.preferredLanguages.first?.hasPrefix("en") == true ? .en : .vi
    }
}

enum Strings {
    private static var bundle = bundle(for: AppLanguage.stored)

    static func use(_ language: AppLanguage) {
        UserDefaults.standard.set(language.rawValue, forKey: "language")
        bundle = bundle(for: language)
    }

    private static func bundle(for language: AppLanguage) -> Bundle {
        Bundle.main.path(forResource: language.rawValue, ofType: "lproj").flatMap(Bundle.init(path:)) ?? .main
    }

    static func text(_ key: String) -> String {
        bundle.localizedString(forKey: key, value: nil, table: nil)
    }
}

/// The localized string for `key`, with `args` put in its %@ / %d placeholders.
func L(_ key: String, _ args: CVarArg...) -> String {
    let format = Strings.text(key)
    return args.isEmpty ? format : String(format: format, arguments: args)
}
