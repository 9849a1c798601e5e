// The citizen's story through the Swift bindings — the mirror of the lead's Kotlin JVM test
// (bindings/tests/kotlin/CancuocTest.kt): a Swift KeyStore (CryptoKit, in memory), a wallet on
// disk, documents issued by the `cancuoc` CLI to the wallet's device key, the clinic QR
// presented and verified (from its text and from a grayscale frame), a signed challenge
// answered with a subset and encrypted to the clinic, a grant issued, checked, revoked and
// rejected, the log read and verified — and each error path arriving as a thrown error of the
// right type and case.
//
// Runs with `swift test` on a Mac (the CLI runs as a process, which iOS does not allow): build
// the CLI first (`cargo build -p cancuoc-cli`; CANCUOC_CLI overrides where it is looked for).
// On the iOS simulator these tests skip.
import CryptoKit
import Foundation
import XCTest
import Cancuoc

/// The host's key store, as an app would write it — here on CryptoKit software keys.
final class MemoryKeyStore: KeyStore, @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String: P256.Signing.PrivateKey] = [:]
    private var dataKeys: [String: Data] = [:]
    private var failing = false

    var failSigning: Bool {
        get { lock.lock(); defer { lock.unlock() }; return failing }
        set { lock.lock(); failing = newValue; lock.unlock() }
    }

    var aliases: [String] { lock.lock(); defer { lock.unlock() }; return Array(keys.keys) }

    func createKey(alias: String) throws -> Data {
        lock.lock(); defer { lock.unlock() }
        if keys[alias] != nil { throw KeyStoreError.AlreadyExists(alias: alias) }
        let key = P256.Signing.PrivateKey()
        keys[alias] = key
        return key.publicKey.x963Representation // SEC1 uncompressed, 65 bytes
    }

    func publicKey(alias: String) throws -> Data {
        lock.lock(); defer { lock.unlock() }
        guard let key = keys[alias] else { throw KeyStoreError.NotFound(alias: alias) }
        return key.publicKey.x963Representation
    }

    func sign(alias: String, message: Data) throws -> Data {
        lock.lock(); defer { lock.unlock() }
        if failing { throw KeyStoreError.Platform(reason: "the user cancelled the prompt") }
        guard let key = keys[alias] else { throw KeyStoreError.NotFound(alias: alias) }
        return try key.signature(for: message).derRepresentation // DER, as the Secure Enclave gives
    }

    func deleteKey(alias: String) throws {
        lock.lock(); defer { lock.unlock() }
        guard keys.removeValue(forKey: alias) != nil else { throw KeyStoreError.NotFound(alias: alias) }
    }

    func storeDataKey(alias: String, key: Data) throws {
        lock.lock(); defer { lock.unlock() }
        dataKeys[alias] = key
    }

    func loadDataKey(alias: String) throws -> Data {
        lock.lock(); defer { lock.unlock() }
        guard let key = dataKeys[alias] else { throw KeyStoreError.NotFound(alias: alias) }
        return key
    }
}

/// The `cancuoc` CLI as the issuer and the relying parties, and the world the tests share.
final class World {
    let cli: String
    let work: URL
    let keys: MemoryKeyStore
    let path: String
    let options: WalletOptions
    let issuerTrust: String
    /// Implicitly unwrapped so the last test can drop it (the Swift side of Kotlin's close()).
    var wallet: Wallet!
    let verifier: Verifier
    var clinicQr = ""

    static let clinic = ["holder_name", "birth_date", "sex", "card_code", "valid_until",
                         "registered_facility_code", "registered_facility_name"]
    static let pin = "246810"

    init() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let cli = ProcessInfo.processInfo.environment["CANCUOC_CLI"]
            ?? repo.appendingPathComponent("target/debug/cancuoc").path
        guard FileManager.default.isExecutableFile(atPath: cli) else {
            throw StoryError("no cancuoc CLI at \(cli): run `cargo build -p cancuoc-cli` or set CANCUOC_CLI")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cancuoc-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        func at(_ name: String) -> URL { work.appendingPathComponent(name) }

        try World.run(cli, "pki", "--out", at("issuer").path)
        try World.run(cli, "party", "--id", "vn.clinic", "--organization", "Phòng khám Đa khoa An Bình",
                     "--out", at("clinic").path)
        try World.run(cli, "party", "--id", "vn.bank", "--organization", "Ngân hàng Ví dụ",
                     "--registry", at("clinic").path, "--out", at("bank").path)
        let issuerTrust = try String(contentsOf: at("issuer/iaca.pem"), encoding: .utf8)
            + String(contentsOf: at("issuer/ds.pem"), encoding: .utf8)
        let registry = try String(contentsOf: at("clinic/registry.pem"), encoding: .utf8)
        let options = WalletOptions(issuerTrustPem: issuerTrust, relyingPartiesPem: registry,
                                    language: .vietnamese, idleTimeoutSeconds: 300)
        let keys = MemoryKeyStore()
        let path = at("wallet.db").path

        self.cli = cli
        self.work = work
        self.keys = keys
        self.path = path
        self.options = options
        self.issuerTrust = issuerTrust
        self.wallet = try Wallet.open(path: path, keyStore: keys, options: options)
        self.verifier = try Verifier(trustPem: issuerTrust, language: .vietnamese)
    }

    @discardableResult
    static func run(_ cli: String, _ args: String...) throws -> String { try run(cli, args) }

    @discardableResult
    static func run(_ cli: String, _ args: [String]) throws -> String {
        #if os(macOS)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["--lang", "en"] + args
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StoryError("cancuoc \(args.joined(separator: " ")) failed: \(out)")
        }
        return out
        #else
        throw StoryError("the CLI runs only on macOS")
        #endif
    }

    @discardableResult
    func run(_ args: String...) throws -> String { try World.run(cli, args) }

    func file(_ name: String) -> URL { work.appendingPathComponent(name) }

    /// Issues a sample document of `kind` to `devicePem`; returns (mdoc, QR form).
    func issue(_ kind: String, _ devicePem: String, _ index: Int) throws -> (Data, Data) {
        try devicePem.write(to: file("device.pub.pem"), atomically: true, encoding: .utf8)
        try run("sample", kind).write(to: file("\(kind).json"), atomically: true, encoding: .utf8)
        try run("issue", "--pki", file("issuer").path, "--document", file("\(kind).json").path,
                "--holder-key", file("device.pub.pem").path, "--out", file("\(kind).cbor").path,
                "--qr-out", file("\(kind).sdcwt").path, "--status-index", "\(index)")
        return (try Data(contentsOf: file("\(kind).cbor")), try Data(contentsOf: file("\(kind).sdcwt")))
    }

    /// A signed request of the party `party` (clinic or bank).
    func request(_ party: String, _ kind: String, _ elements: String, _ extra: String...) throws -> String {
        let out = file("request-\(party).txt")
        try World.run(cli, ["request", "--verifier", "vn.\(party)", "--kind", kind, "--elements", elements,
                           "--sign-key", file("\(party)/party-key.pem").path,
                           "--certificate", file("\(party)/party.pem").path, "--out", out.path] + extra)
        return try String(contentsOf: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var devicePem: String { get throws { try XCTUnwrap(wallet.account()).devicePublicKeyPem } }

    func bhytId() throws -> String {
        try XCTUnwrap(wallet.documents().first { $0.kind == .healthInsurance }).id
    }
}

struct StoryError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` and returns the error it threw as `E`, failing when it threw nothing or
/// something else.
func expectError<E: Error>(_ type: E.Type, file: StaticString = #filePath, line: UInt = #line,
                           _ body: () throws -> Void) -> E? {
    do {
        try body()
        XCTFail("expected \(E.self), nothing was thrown", file: file, line: line)
    } catch let e as E {
        return e
    } catch {
        XCTFail("expected \(E.self), got \(error)", file: file, line: line)
    }
    return nil
}

/// The story, in order: XCTest runs a class's tests by name, hence the numbers. Each step
/// builds on the wallet the steps before it left.
final class CancuocStoryTests: XCTestCase {
    private static var shared: World?
    private static var setupError: Error?

    override class func setUp() {
        super.setUp()
        #if os(macOS)
        do { shared = try World() } catch { setupError = error }
        #endif
    }

    private var world: World {
        get throws {
            #if !os(macOS)
            throw XCTSkip("the story needs the cancuoc CLI as a process: run `swift test` on a Mac")
            #else
            if let error = Self.setupError { throw error }
            return try XCTUnwrap(Self.shared)
            #endif
        }
    }

    func test01_activationAtLevel1MakesTheDeviceKeyInTheSwiftKeyStore() throws {
        let w = try world
        XCTAssertNil(try w.wallet.account())
        let a = try w.wallet.activate(
            activation: Activation(personalId: "001090012345", fullName: "NGUYỄN VĂN AN",
                                   birthDate: "1990-05-01", level: .level1, idCardExpiry: nil),
            passcode: World.pin)
        XCTAssertEqual(a.level, .level1)
        XCTAssertEqual(a.status, .active)
        XCTAssertEqual(a.devicePublicKey, try w.keys.publicKey(alias: try XCTUnwrap(w.keys.aliases.first)))
        XCTAssertTrue(w.wallet.isUnlocked())
        print("cancuoc core \(coreVersion())")
    }

    func test02_activatingTwiceIsAnAccountError() throws {
        let w = try world
        let e = expectError(WalletError.self) {
            _ = try w.wallet.activate(
                activation: Activation(personalId: "001090012345", fullName: "X", birthDate: "1990-05-01",
                                       level: .level1, idCardExpiry: nil),
                passcode: World.pin)
        }
        guard case let .Account(code, _) = e else { return XCTFail("not Account: \(String(describing: e))") }
        XCTAssertEqual(code, "already_activated")
    }

    func test03_aLevel1AccountCannotHoldTheHealthInsuranceCard() throws {
        let w = try world
        let bhyt = try w.issue("health_insurance", try w.devicePem, 2)
        let e = expectError(WalletError.self) { _ = try w.wallet.addDocument(mdoc: bhyt.0, qr: bhyt.1, dependent: nil) }
        guard case let .LevelTooLow(reason) = e else { return XCTFail("not LevelTooLow: \(String(describing: e))") }
        XCTAssertTrue(reason.contains("mức 2"), reason)
    }

    func test04_atLevel2TheFourDocumentsAreAddedAndListed() throws {
        let w = try world
        try w.wallet.setLevel(level: .level2)
        let bhyt = try w.issue("health_insurance", try w.devicePem, 2)
        _ = try w.wallet.addDocument(mdoc: bhyt.0, qr: bhyt.1, dependent: nil)
        for (i, kind) in ["citizen_identity", "driving_licence", "vehicle_registration"].enumerated() {
            let (mdoc, qr) = try w.issue(kind, try w.devicePem, i + 10)
            let card = try w.wallet.addDocument(mdoc: mdoc, qr: qr, dependent: nil)
            XCTAssertEqual(card.status, .valid)
            XCTAssertTrue(card.hasQr)
        }
        let cards = try w.wallet.documents()
        XCTAssertEqual(cards.count, 4)
        let detail = try w.wallet.document(id: try w.bhytId())
        XCTAssertTrue(detail.elements.contains { $0.identifier == "card_code" && $0.label == "Mã thẻ" })
        XCTAssertEqual(cards.first { $0.kind == .citizenIdentity }?.title, "Căn cước công dân")
    }

    func test05_aDocumentBoundToAnotherKeyAndAnUnknownIdAreDocumentErrors() throws {
        let w = try world
        let other = P256.Signing.PrivateKey().publicKey.pemRepresentation
        let (mdoc, _) = try w.issue("driving_licence", other, 30)
        let e = expectError(WalletError.self) { _ = try w.wallet.addDocument(mdoc: mdoc, qr: nil, dependent: nil) }
        guard case let .Document(code, _) = e else { return XCTFail("not Document: \(String(describing: e))") }
        XCTAssertEqual(code, "wrong_device_key")
        let missing = expectError(WalletError.self) { try w.wallet.removeDocument(id: "nope") }
        guard case let .Document(code2, _) = missing else { return XCTFail("not Document") }
        XCTAssertEqual(code2, "no_such_document")
    }

    func test06_theStaticClinicQrIsPresentedDrawnAndVerified() throws {
        let w = try world
        let qr = try w.wallet.presentQr(documentId: try w.bhytId(), elements: World.clinic)
        w.clinicQr = qr.text
        XCTAssertTrue(qr.text.hasPrefix("CC1:"))
        XCTAssertEqual(qr.matrix.modules.count, Int(qr.matrix.size * qr.matrix.size))
        let left = qr.expiresUnix - Int64(Date().timeIntervalSince1970)
        XCTAssertTrue((50...61).contains(left), "countdown \(left)")
        let v = try w.verifier.verifyQrText(text: qr.text, options: VerifyOptions(nowUnix: nil, maxAgeSeconds: 60, request: nil, decryptionKeyPem: nil))
        XCTAssertEqual(v.kind, .healthInsurance)
        XCTAssertEqual(v.title, "Thẻ bảo hiểm y tế")
        XCTAssertTrue(v.elements.contains { $0.identifier == "card_code" && $0.value == "DN4010123456789" })
        XCTAssertTrue(v.checks.contains("device_authentication"), "\(v.checks)")
    }

    func test07_theQrIsReadFromAGrayscaleFrame() throws {
        let w = try world
        let m = try qrMatrix(text: w.clinicQr)
        let n = Int(m.size), scale = 4, quiet = 4
        let side = (n + 2 * quiet) * scale
        let width = side + 200, height = side + 100
        var px = [UInt8](repeating: 200, count: width * height)
        for y in 0..<side {
            for x in 0..<side {
                let mx = x / scale - quiet, my = y / scale - quiet
                let dark = (0..<n).contains(mx) && (0..<n).contains(my) && m.modules[my * n + mx]
                px[(y + 50) * width + x + 100] = dark ? 20 : 235
            }
        }
        let options = VerifyOptions(nowUnix: nil, maxAgeSeconds: 60, request: nil, decryptionKeyPem: nil)
        let v = try w.verifier.verifyQrFrame(width: UInt32(width), height: UInt32(height), pixels: Data(px), options: options)
        XCTAssertEqual(v.kind, .healthInsurance)
        let e = expectError(VerificationError.self) {
            _ = try w.verifier.verifyQrFrame(width: 10, height: 10, pixels: Data(count: 3), options: options)
        }
        guard case let .Input(reason) = e else { return XCTFail("not Input: \(String(describing: e))") }
        XCTAssertFalse(reason.isEmpty)
    }

    func test08_aTamperedQrIsRejectedWithAReason() throws {
        let w = try world
        var chars = Array(w.clinicQr)
        chars[200] = chars[200] == "A" ? "B" : "A"
        let e = expectError(VerificationError.self) {
            _ = try w.verifier.verifyQrText(text: String(chars), options: VerifyOptions(nowUnix: nil, maxAgeSeconds: 60, request: nil, decryptionKeyPem: nil))
        }
        guard case let .Rejected(check, code, reason) = e else { return XCTFail("not Rejected: \(String(describing: e))") }
        XCTAssertFalse(check.isEmpty || code.isEmpty || reason.isEmpty)
    }

    func test09_theClinicsSignedRequestIsAnsweredWithASubsetEncryptedAndVerified() throws {
        let w = try world
        let req = try w.request("clinic", "health_insurance", World.clinic.joined(separator: ","),
                                "--retain", "card_code", "--purpose", "Tiếp đón khám bệnh có BHYT",
                                "--encrypt-to", w.file("clinic/party.pub.pem").path)
        let prompt = try w.wallet.respond(request: req, dependent: nil)
        XCTAssertEqual(prompt.partyName, "Phòng khám Đa khoa An Bình")
        XCTAssertTrue(prompt.encrypted)
        XCTAssertEqual(prompt.elements.first { $0.identifier == "card_code" }?.retain, true)
        XCTAssertEqual(prompt.elements.first { $0.identifier == "holder_name" }?.label, "Họ và tên")
        let answer = try w.wallet.answer(promptId: prompt.id, approval: .some(elements: ["card_code", "holder_name"]))
        guard case let .presentation(qr) = answer else { return XCTFail("not a presentation: \(answer)") }
        XCTAssertTrue(qr.text.hasPrefix("CE1:"))
        let key = try String(contentsOf: w.file("clinic/party-key.pem"), encoding: .utf8)
        let v = try w.verifier.verifyQrText(text: qr.text, options: VerifyOptions(nowUnix: nil, maxAgeSeconds: 60, request: req, decryptionKeyPem: key))
        let ids = v.elements.map(\.identifier)
        XCTAssertTrue(ids.contains("card_code"))
        XCTAssertFalse(ids.contains("birth_date"))
        XCTAssertTrue(v.checks.contains("challenge"), "\(v.checks)")
    }

    func test10_anUnsignedRequestIsRefusedAndAnUnaskedElementIsAConsentError() throws {
        let w = try world
        try w.run("request", "--verifier", "vn.clinic", "--kind", "health_insurance", "--elements", "card_code",
                  "--out", w.file("unsigned.txt").path)
        let unsigned = try String(contentsOf: w.file("unsigned.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let e = expectError(WalletError.self) { _ = try w.wallet.respond(request: unsigned, dependent: nil) }
        guard case let .RequestRefused(code, _) = e else { return XCTFail("not RequestRefused: \(String(describing: e))") }
        XCTAssertEqual(code, "request_unsigned")
        let prompt = try w.wallet.respond(request: try w.request("clinic", "health_insurance", "card_code,holder_name"), dependent: nil)
        let c = expectError(WalletError.self) { _ = try w.wallet.answer(promptId: prompt.id, approval: .some(elements: ["portrait"])) }
        guard case let .Consent(code2, _) = c else { return XCTFail("not Consent: \(String(describing: c))") }
        XCTAssertEqual(code2, "not_requested")
        XCTAssertEqual(try w.wallet.answer(promptId: prompt.id, approval: .decline), .declined)
    }

    func test11_aGrantToTheBankIsCheckedRevokedThenRejected() throws {
        let w = try world
        let req = try w.request("bank", "citizen_identity", "full_name,birth_date,personal_administrative_number",
                                "--grant-days", "365", "--purpose", "eKYC mở tài khoản")
        let prompt = try w.wallet.respond(request: req, dependent: nil)
        XCTAssertNotNil(prompt.standingUntilUnix)
        guard case let .grant(grant) = try w.wallet.answer(promptId: prompt.id, approval: .all) else {
            return XCTFail("not a grant")
        }
        let holder = try XCTUnwrap(w.wallet.account()).devicePublicKey
        let ok = try w.verifier.verifyGrant(text: grant.text, options: GrantCheckOptions(nowUnix: nil, holderPublicKey: holder, party: "vn.bank", revocations: []))
        XCTAssertEqual(ok.subject, "001090012345")
        XCTAssertEqual(ok.elements.count, 3)
        let revoked = try w.wallet.revokeGrant(grantId: grant.id)
        XCTAssertFalse(revoked.active)
        let revocation = try XCTUnwrap(revoked.revocation)
        XCTAssertNotNil(try w.wallet.grants().first?.revokedUnix)
        let e = expectError(VerificationError.self) {
            _ = try w.verifier.verifyGrant(text: grant.text, options: GrantCheckOptions(nowUnix: nil, holderPublicKey: holder, party: "vn.bank", revocations: [revocation]))
        }
        guard case let .Rejected(_, code, _) = e else { return XCTFail("not Rejected: \(String(describing: e))") }
        XCTAssertEqual(code, "revoked")
    }

    func test12_aKeyStoreErrorFromTheHostSurfacesAsStorage() throws {
        let w = try world
        w.keys.failSigning = true
        defer { w.keys.failSigning = false }
        let e = expectError(WalletError.self) { _ = try w.wallet.presentQr(documentId: try w.bhytId(), elements: ["card_code"]) }
        guard case let .Storage(code, _) = e else { return XCTFail("not Storage: \(String(describing: e))") }
        XCTAssertEqual(code, "key_store")
    }

    func test13_theGateClosesCountsWrongPinsAndLocksOut() throws {
        let w = try world
        w.wallet.lock()
        let closed = expectError(WalletError.self) { _ = try w.wallet.presentQr(documentId: try w.bhytId(), elements: ["card_code"]) }
        guard case .GateClosed = closed else { return XCTFail("not GateClosed: \(String(describing: closed))") }
        let wrong = expectError(WalletError.self) { try w.wallet.unlock(passcode: "000000") }
        guard case let .WrongPasscode(left, reason) = wrong else { return XCTFail("not WrongPasscode: \(String(describing: wrong))") }
        XCTAssertEqual(left, 4)
        XCTAssertTrue(reason.contains("Còn 4 lần thử"), reason)
        let input = expectError(WalletError.self) { try w.wallet.unlock(passcode: "12") }
        guard case .Input = input else { return XCTFail("not Input: \(String(describing: input))") }
        for _ in 0..<4 { _ = try? w.wallet.unlock(passcode: "000000") }
        let out = expectError(WalletError.self) { try w.wallet.unlock(passcode: World.pin) }
        guard case let .LockedOut(until, _) = out else { return XCTFail("not LockedOut: \(String(describing: out))") }
        XCTAssertFalse(until.isEmpty)
        let change = expectError(WalletError.self) { try w.wallet.changePasscode(old: World.pin, new: "135790") }
        guard case .LockedOut = change else { return XCTFail("not LockedOut: \(String(describing: change))") }
    }

    func test14_theLogListsEveryStepVerifiesAndExports() throws {
        let w = try world
        let log = try w.wallet.auditLog(requester: nil, fromUnix: nil, toUnix: nil)
        let outcomes = log.map(\.outcome)
        XCTAssertEqual(outcomes.filter { $0 == "disclosed" }.count, 2, "\(outcomes)")
        XCTAssertTrue(outcomes.contains("granted") && outcomes.contains("revoked") && outcomes.contains("refused"), "\(outcomes)")
        XCTAssertEqual(log.first { $0.channel == "challenge_qr" && $0.outcome == "disclosed" }?.retained, ["card_code"])
        XCTAssertEqual(try w.wallet.auditLog(requester: "vn.bank", fromUnix: nil, toUnix: nil).count, 2)
        XCTAssertEqual(try w.wallet.verifyLog(), UInt64(log.count))
        XCTAssertTrue(try w.wallet.exportLogJson().contains("\"entries\""))
    }

    func test15_aLockedAccountPresentsNothing() throws {
        let w = try world
        try w.wallet.lockAccount()
        let e = expectError(WalletError.self) { _ = try w.wallet.presentQr(documentId: try w.bhytId(), elements: ["card_code"]) }
        guard case .AccountBlocked = e else { return XCTFail("not AccountBlocked: \(String(describing: e))") }
    }

    func test16_theWalletDoesNotOpenWithAnotherDataKey() throws {
        let w = try world
        w.wallet = nil // frees the Rust object: the file is closed before it is opened again
        let stranger = MemoryKeyStore()
        try stranger.storeDataKey(alias: "cancuoc.storage", key: Data(repeating: 7, count: 32))
        let e = expectError(WalletError.self) { _ = try Wallet.open(path: w.path, keyStore: stranger, options: w.options) }
        guard case let .Storage(code, _) = e else { return XCTFail("not Storage: \(String(describing: e))") }
        XCTAssertEqual(code, "wrong_data_key")
        // The right key store still opens it, with everything in place.
        w.wallet = try Wallet.open(path: w.path, keyStore: w.keys, options: w.options)
        XCTAssertEqual(try w.wallet.documents().count, 4)
        XCTAssertEqual(try w.wallet.account()?.status, .locked)
    }

    func test17_aVerifierWithNoTrustIsAnInputError() throws {
        let e = expectError(VerificationError.self) { _ = try Verifier(trustPem: "not a certificate", language: .english) }
        guard case .Input = e else { return XCTFail("not Input: \(String(describing: e))") }
    }
}
