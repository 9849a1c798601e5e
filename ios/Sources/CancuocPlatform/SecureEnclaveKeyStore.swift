// The core's `KeyStore` on Apple platforms: the citizen's device key is a P-256 key made inside
// the Secure Enclave (kSecAttrTokenIDSecureEnclave), usable only with user presence (Face ID,
// Touch ID or the device passcode) and never exportable; the storage data key is a Keychain
// item readable only while the device is unlocked and never synced or migrated to another
// device (kSecAttrAccessibleWhenUnlockedThisDeviceOnly). Where there is no Secure Enclave
// (the iOS simulator, Intel Macs without a T2), the key is an ordinary Keychain key — for
// development only; `isHardwareBacked` says which.
import Foundation
import LocalAuthentication
import Security
import Cancuoc

public final class SecureEnclaveKeyStore: KeyStore, @unchecked Sendable {
    /// The Keychain service of data keys and the prefix of key tags.
    public let service: String
    /// True when device keys are made in the Secure Enclave.
    public let isHardwareBacked: Bool
    private let accessGroup: String?
    private let requireUserPresence: Bool
    private let lock = NSLock()
    private var context: LAContext?

    /// Whether this device can make Secure Enclave keys (never on the simulator).
    public static var secureEnclaveAvailable: Bool {
        #if targetEnvironment(simulator)
        return false
        #else
        return SecureEnclaveProbe.available
        #endif
    }

    /// - Parameters:
    ///   - service: Keychain service name (and key tag prefix) of this app's wallet.
    ///   - accessGroup: a shared Keychain access group, if the app uses one.
    ///   - requireUserPresence: false only for development builds on the simulator.
    public init(
        service: String = "vn.cancuoc.wallet",
        accessGroup: String? = nil,
        requireUserPresence: Bool = true,
        useSecureEnclave: Bool = SecureEnclaveKeyStore.secureEnclaveAvailable
    ) {
        self.service = service
        self.accessGroup = accessGroup
        self.requireUserPresence = requireUserPresence
        self.isHardwareBacked = useSecureEnclave
    }

    /// An LAContext the app already authenticated (the wallet gate's Face ID): signing reuses
    /// it instead of prompting again, for as long as the context allows
    /// (`touchIDAuthenticationAllowableReuseDuration`). Nil: the system prompts on each use.
    public var authenticationContext: LAContext? {
        get { lock.lock(); defer { lock.unlock() }; return context }
        set { lock.lock(); context = newValue; lock.unlock() }
    }

    // MARK: KeyStore

    public func createKey(alias: String) throws -> Data {
        try Self.checkAlias(alias)
        if try privateKey(alias) != nil { throw KeyStoreError.AlreadyExists(alias: alias) }
        var flags: SecAccessControlCreateFlags = []
        if isHardwareBacked { flags.insert(.privateKeyUsage) }
        if requireUserPresence { flags.insert(.userPresence) }
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            kCFAllocatorDefault, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, flags, &error
        ) else {
            throw Self.platform("access control", error)
        }
        var privateAttributes: [String: Any] = [
            kSecAttrIsPermanent as String: true,
            kSecAttrApplicationTag as String: tag(alias),
            kSecAttrAccessControl as String: access,
        ]
        if let accessGroup { privateAttributes[kSecAttrAccessGroup as String] = accessGroup }
        var attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrLabel as String: "cancuoc device key",
            kSecPrivateKeyAttrs as String: privateAttributes,
        ]
        if isHardwareBacked { attributes[kSecAttrTokenID as String] = kSecAttrTokenIDSecureEnclave }
        #if os(macOS)
        attributes[kSecUseDataProtectionKeychain as String] = true
        #endif
        guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
            throw Self.platform("create key", error)
        }
        return try Self.sec1(of: key)
    }

    public func publicKey(alias: String) throws -> Data {
        try Self.checkAlias(alias)
        guard let key = try privateKey(alias) else { throw KeyStoreError.NotFound(alias: alias) }
        return try Self.sec1(of: key)
    }

    public func sign(alias: String, message: Data) throws -> Data {
        try Self.checkAlias(alias)
        guard let key = try privateKey(alias, forUse: true) else { throw KeyStoreError.NotFound(alias: alias) }
        var error: Unmanaged<CFError>?
        // Blocks this (background) thread while the system asks for Face ID / the passcode.
        guard let signature = SecKeyCreateSignature(
            key, .ecdsaSignatureMessageX962SHA256, message as CFData, &error
        ) else {
            let code = error.map { CFErrorGetCode($0.takeRetainedValue()) } ?? 0
            let cancelled = [Int(errSecUserCanceled), LAError.userCancel.rawValue, LAError.systemCancel.rawValue, LAError.appCancel.rawValue]
            if cancelled.contains(code) { throw KeyStoreError.Platform(reason: Self.userCancelled) }
            throw KeyStoreError.Platform(reason: "sign: error \(code)")
        }
        return signature as Data // DER ECDSA-Sig-Value; the bindings accept it
    }

    public func deleteKey(alias: String) throws {
        try Self.checkAlias(alias)
        var query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrApplicationTag as String: tag(alias),
        ]
        scope(&query)
        let status = SecItemDelete(query as CFDictionary)
        if status == errSecItemNotFound { throw KeyStoreError.NotFound(alias: alias) }
        guard status == errSecSuccess else { throw Self.status("delete key", status) }
    }

    public func storeDataKey(alias: String, key: Data) throws {
        try Self.checkAlias(alias)
        guard key.count == 32 else { throw KeyStoreError.Platform(reason: "the data key must be 32 bytes") }
        var query = dataKeyQuery(alias)
        let update: [String: Any] = [
            kSecValueData as String: key,
            kSecAttrAccessible as String: kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
        ]
        var status = SecItemUpdate(query as CFDictionary, update as CFDictionary)
        if status == errSecItemNotFound {
            query.merge(update) { _, new in new }
            status = SecItemAdd(query as CFDictionary, nil)
        }
        guard status == errSecSuccess else { throw Self.status("store data key", status) }
    }

    public func loadDataKey(alias: String) throws -> Data {
        try Self.checkAlias(alias)
        var query = dataKeyQuery(alias)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound { throw KeyStoreError.NotFound(alias: alias) }
        guard status == errSecSuccess, let data = item as? Data else { throw Self.status("load data key", status) }
        return data
    }

    // MARK: Keychain plumbing

    private func tag(_ alias: String) -> Data { Data("\(service).key.\(alias)".utf8) }

    private func scope(_ query: inout [String: Any]) {
        if let accessGroup { query[kSecAttrAccessGroup as String] = accessGroup }
        #if os(macOS)
        query[kSecUseDataProtectionKeychain as String] = true
        #endif
    }

    private func dataKeyQuery(_ alias: String) -> [String: Any] {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: "\(service).data-key",
            kSecAttrAccount as String: alias,
            kSecAttrSynchronizable as String: false,
        ]
        scope(&query)
        return query
    }

    /// The private key reference (no prompt: the prompt comes when it is used).
    private func privateKey(_ alias: String, forUse: Bool = false) throws -> SecKey? {
        var query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrKeyClass as String: kSecAttrKeyClassPrivate,
            kSecAttrApplicationTag as String: tag(alias),
            kSecReturnRef as String: true,
        ]
        scope(&query)
        if forUse, let context = authenticationContext {
            query[kSecUseAuthenticationContext as String] = context
        }
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let item else { throw Self.status("find key", status) }
        // kSecClassKey with kSecReturnRef always yields a SecKey.
        return (item as! SecKey)
    }

    /// SEC1 uncompressed public key (0x04 ‖ X ‖ Y): what SecKeyCopyExternalRepresentation
    /// returns for a P-256 public key.
    static func sec1(of privateKey: SecKey) throws -> Data {
        guard let publicKey = SecKeyCopyPublicKey(privateKey) else {
            throw KeyStoreError.Platform(reason: "no public key")
        }
        var error: Unmanaged<CFError>?
        guard let bytes = SecKeyCopyExternalRepresentation(publicKey, &error) as Data? else {
            throw platform("export public key", error)
        }
        guard bytes.count == 65, bytes.first == 0x04 else {
            throw KeyStoreError.Platform(reason: "the public key is not an uncompressed P-256 point")
        }
        return bytes
    }

    /// The aliases the core uses: 1–64 of A–Z a–z 0–9 . _ - , not starting with '.'.
    static func checkAlias(_ alias: String) throws {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(alias.count), !alias.hasPrefix("."),
              alias.unicodeScalars.allSatisfy(allowed.contains) else {
            throw KeyStoreError.Platform(reason: "bad alias")
        }
    }

    /// The `Platform` reason when the user dismissed the Face ID / passcode prompt.
    public static let userCancelled = "user_cancelled"

    /// The OSStatus only: Keychain messages can name items; nothing secret goes into errors.
    private static func status(_ what: String, _ status: OSStatus) -> KeyStoreError {
        .Platform(reason: "\(what): OSStatus \(status)")
    }

    private static func platform(_ what: String, _ error: Unmanaged<CFError>?) -> KeyStoreError {
        let code = error.map { CFErrorGetCode($0.takeRetainedValue()) } ?? 0
        return .Platform(reason: "\(what): error \(code)")
    }
}

/// Whether this device can make Secure Enclave keys, asked once.
enum SecureEnclaveProbe {
    static let available: Bool = {
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            kCFAllocatorDefault, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, .privateKeyUsage, &error
        ) else { return false }
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecPrivateKeyAttrs as String: [
                kSecAttrIsPermanent as String: false,
                kSecAttrAccessControl as String: access,
            ] as [String: Any],
        ]
        return SecKeyCreateRandomKey(attributes as CFDictionary, &error) != nil
    }()
}
