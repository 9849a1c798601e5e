// The app's one door to the core: opens the wallet (Secure Enclave key store, trust lists from
// the bundle) and the verifier, and runs every core call on a background queue — the bindings
// are synchronous and some calls take a while (PBKDF2 on unlock, signing with a Face ID
// prompt, verifying). When the wallet's gate is closed, `run` asks for the PIN or Face ID
// through the gate sheet and retries.
import Foundation
import LocalAuthentication
import Cancuoc
import CancuocPlatform

@MainActor
final class WalletModel: ObservableObject {
    enum Phase { case loading, needsActivation, ready, failed(String) }

    @Published var phase: Phase = .loading
    @Published var language: AppLanguage = .stored
    /// True while the gate sheet (PIN or Face ID) is up.
    @Published var gateRequested = false
    /// The consent prompt the scanner got, for the consent screen.
    @Published var pendingPrompt: ConsentPrompt?

    /// The Secure Enclave on a device; on the simulator (no Secure Enclave, often no passcode)
    /// a plain Keychain key without the user-presence requirement, for development only.
    let keyStore: SecureEnclaveKeyStore = {
        #if targetEnvironment(simulator)
        return SecureEnclaveKeyStore(requireUserPresence: false)
        #else
        return SecureEnclaveKeyStore()
        #endif
    }()
    private let queue = DispatchQueue(label: "vn.cancuoc.core", qos: .userInitiated)
    private var wallet: Wallet?
    private var verifier: Verifier?
    private var gateContinuation: CheckedContinuation<Bool, Never>?

    static let idleTimeoutSeconds: UInt32 = 300

    private var walletPath: String {
        let dir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("wallet", isDirectory: true)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true,
                                                 attributes: [.protectionKey: FileProtectionType.complete])
        return dir.appendingPathComponent("wallet.db").path
    }

    private static func trust(_ name: String) throws -> String {
        guard let url = Bundle.main.url(forResource: name, withExtension: "pem", subdirectory: "trust") else {
            throw WalletError.Input(code: "trust_list", reason: "trust/\(name).pem is not in the app bundle")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Runs `body` on the core's queue.
    private func onQueue<T>(_ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    func start() async {
        do {
            let account = try await run { try $0.account() }
            phase = account == nil ? .needsActivation : .ready
        } catch {
            phase = .failed(Display.problem(error))
        }
    }

    /// Switches the language of the app and of the core's sentences; the wallet is reopened
    /// (its data stays; the gate closes).
    func setLanguage(_ lang: AppLanguage) {
        Strings.use(lang)
        language = lang
        wallet = nil
        verifier = nil
    }

    private func openWallet() async throws -> Wallet {
        if let wallet { return wallet }
        let path = walletPath
        let keys = keyStore
        let options = WalletOptions(issuerTrustPem: try Self.trust("issuers"),
                                    relyingPartiesPem: try Self.trust("relying-parties"),
                                    language: language.core, idleTimeoutSeconds: Self.idleTimeoutSeconds)
        let opened = try await onQueue { try Wallet.open(path: path, keyStore: keys, options: options) }
        wallet = opened
        return opened
    }

    /// A wallet call off the main thread; a closed gate asks for the PIN or Face ID, then retries.
    func run<T>(_ body: @escaping (Wallet) throws -> T) async throws -> T {
        for _ in 0..<3 {
            let w = try await openWallet()
            do {
                return try await onQueue { try body(w) }
            } catch WalletError.GateClosed {
                guard await askForGate() else { throw WalletError.GateClosed(reason: L("unlock.cancelled")) }
            }
        }
        let w = try await openWallet()
        return try await onQueue { try body(w) }
    }

    private func askForGate() async -> Bool {
        await withCheckedContinuation { continuation in
            gateContinuation = continuation
            gateRequested = true
        }
    }

    /// Called by the gate sheet: true once the gate opened, false when the citizen gave up.
    func finishGate(_ opened: Bool) {
        gateRequested = false
        gateContinuation?.resume(returning: opened)
        gateContinuation = nil
    }

    func unlock(pin: String) async throws {
        try await run { try $0.unlock(passcode: pin) }
    }

    /// Face ID (or Touch ID): on success the gate opens, and the same authenticated context
    /// lets the Secure Enclave key sign without asking again.
    func unlockWithBiometrics() async throws -> Bool {
        let context = LAContext()
        context.localizedCancelTitle = L("action.cancel")
        var error: NSError?
        guard context.canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics, error: &error) else { return false }
        let ok = try await context.evaluatePolicy(.deviceOwnerAuthenticationWithBiometrics,
                                                  localizedReason: L("biometric.reason"))
        guard ok else { return false }
        keyStore.authenticationContext = context
        let now = Int64(Date().timeIntervalSince1970)
        try await run { try $0.unlockBiometric(verified: true, atUnix: now) }
        return true
    }

    func lock() async {
        keyStore.authenticationContext?.invalidate()
        keyStore.authenticationContext = nil
        _ = try? await run { $0.lock() }
    }

    // MARK: verifier

    private func openVerifier() async throws -> Verifier {
        if let verifier { return verifier }
        let trust = try Self.trust("issuers")
        let lang = language.core
        let opened = try await onQueue { try Verifier(trustPem: trust, language: lang) }
        verifier = opened
        return opened
    }

    private static let staticQr = VerifyOptions(nowUnix: nil, maxAgeSeconds: 60, request: nil, decryptionKeyPem: nil)

    /// Reads and verifies the QR code in one grayscale camera frame.
    func verifyFrame(width: Int, height: Int, luma: Data) async throws -> VerifiedPresentation {
        let v = try await openVerifier()
        let options = Self.staticQr
        return try await onQueue {
            try v.verifyQrFrame(width: UInt32(width), height: UInt32(height), pixels: luma, options: options)
        }
    }
}
