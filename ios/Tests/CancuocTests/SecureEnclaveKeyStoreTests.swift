// Tests of SecureEnclaveKeyStore: the alias rules everywhere, and on the iOS simulator (the
// Keychain software fallback — simulators have no Secure Enclave) a key made, found, used to
// sign (checked with CryptoKit), refused twice and deleted, and a data key stored, replaced,
// loaded and reported missing. `swift test` on macOS skips the Keychain part: an unsigned test
// runner has no Keychain entitlement. Run it with
//   xcodebuild test -scheme Cancuoc-Package -destination 'platform=iOS Simulator,name=iPhone 15'
import CryptoKit
import Foundation
import XCTest
import Cancuoc
@testable import CancuocPlatform

final class SecureEnclaveKeyStoreTests: XCTestCase {
    func testAliasesFollowTheCoresRules() throws {
        for good in ["cancuoc.storage", "cancuoc.device.0011aabbccddeeff", "a", String(repeating: "x", count: 64)] {
            XCTAssertNoThrow(try SecureEnclaveKeyStore.checkAlias(good), good)
        }
        for bad in ["", ".hidden", "a/b", "../x", "khóa", String(repeating: "x", count: 65)] {
            XCTAssertThrowsError(try SecureEnclaveKeyStore.checkAlias(bad), bad) { error in
                guard case KeyStoreError.Platform = error else { return XCTFail("\(error)") }
            }
        }
    }

    private func keychainStore() throws -> SecureEnclaveKeyStore {
        #if targetEnvironment(simulator)
        let store = SecureEnclaveKeyStore(service: "vn.cancuoc.tests.\(UUID().uuidString)",
                                          requireUserPresence: false, useSecureEnclave: false)
        XCTAssertFalse(store.isHardwareBacked)
        return store
        #else
        throw XCTSkip("the Keychain needs a signed host: run on the iOS simulator with xcodebuild test")
        #endif
    }

    /// Skips when the test bundle has no Keychain entitlement (errSecMissingEntitlement).
    private func skipWithoutKeychain(_ error: Error) throws {
        if case let KeyStoreError.Platform(reason) = error, reason.contains("-34018") {
            throw XCTSkip("no Keychain entitlement in this test host")
        }
    }

    func testDeviceKeyLifecycle() throws {
        let store = try keychainStore()
        let alias = "cancuoc.device.test"
        let public1: Data
        do {
            public1 = try store.createKey(alias: alias)
        } catch {
            try skipWithoutKeychain(error)
            throw error
        }
        defer { try? store.deleteKey(alias: alias) }
        XCTAssertEqual(public1.count, 65)
        XCTAssertEqual(public1.first, 0x04)
        XCTAssertEqual(try store.publicKey(alias: alias), public1)
        XCTAssertThrowsError(try store.createKey(alias: alias)) { error in
            guard case KeyStoreError.AlreadyExists(let a) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(a, alias)
        }
        let message = Data("DeviceAuthentication".utf8)
        let der = try store.sign(alias: alias, message: message)
        let verifying = try P256.Signing.PublicKey(x963Representation: public1)
        XCTAssertTrue(verifying.isValidSignature(try P256.Signing.ECDSASignature(derRepresentation: der), for: message))
        try store.deleteKey(alias: alias)
        XCTAssertThrowsError(try store.publicKey(alias: alias)) { error in
            guard case KeyStoreError.NotFound = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try store.deleteKey(alias: alias)) { error in
            guard case KeyStoreError.NotFound = error else { return XCTFail("\(error)") }
        }
    }

    func testDataKeyIsStoredReplacedAndLoaded() throws {
        let store = try keychainStore()
        let alias = "cancuoc.storage"
        do {
            _ = try store.loadDataKey(alias: alias)
            XCTFail("a fresh service has no data key")
        } catch KeyStoreError.NotFound {
        } catch {
            try skipWithoutKeychain(error)
            throw error
        }
        let first = Data((0..<32).map { UInt8($0) })
        let second = Data(repeating: 9, count: 32)
        try store.storeDataKey(alias: alias, key: first)
        XCTAssertEqual(try store.loadDataKey(alias: alias), first)
        try store.storeDataKey(alias: alias, key: second)
        XCTAssertEqual(try store.loadDataKey(alias: alias), second)
        XCTAssertThrowsError(try store.storeDataKey(alias: alias, key: Data(count: 16)))
    }
}
