// The citizen's story through the Kotlin bindings, on the JVM with the real native library
// (JNA): a Kotlin KeyStore, a wallet on disk, documents issued by the `cancuoc` CLI to the
// wallet's device key, the clinic QR presented and verified, a signed challenge answered with
// a subset, a grant issued, checked, revoked and rejected, the log read and verified — and the
// error paths, each arriving as the Kotlin exception type the app catches.
//
// Run by bindings/tests/kotlin/run (inside ./scripts/test). Needs the system properties
// cancuoc.cli (the CLI binary), cancuoc.work (a scratch directory).

import java.io.File
import java.math.BigInteger
import java.security.KeyPairGenerator
import java.security.PrivateKey
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import vn.cancuoc.core.*

// ---- a tiny harness -------------------------------------------------------------------------

var passed = 0
var failed = 0

fun test(name: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok   $name")
    } catch (t: Throwable) {
        failed++
        println("FAIL $name: $t")
        t.printStackTrace(System.out)
    }
}

fun check(cond: Boolean, what: () -> String) {
    if (!cond) throw AssertionError(what())
}

inline fun <reified E : Throwable> expect(body: () -> Unit): E {
    try {
        body()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("expected ${E::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${E::class.simpleName}, nothing was thrown")
}

// ---- the host's key store, as an app would write it (here on java.security) -------------------

class JvmKeyStore : KeyStore {
    private val keys = HashMap<String, Pair<PrivateKey, ByteArray>>()
    private val dataKeys = HashMap<String, ByteArray>()
    @Volatile var failSigning = false

    private fun sec1(pub: ECPublicKey): ByteArray {
        fun fixed(n: BigInteger): ByteArray {
            val b = n.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
            return ByteArray(32 - b.size) + b
        }
        return byteArrayOf(4) + fixed(pub.w.affineX) + fixed(pub.w.affineY)
    }

    @Synchronized override fun createKey(alias: String): ByteArray {
        if (keys.containsKey(alias)) throw KeyStoreException.AlreadyExists(alias)
        val g = KeyPairGenerator.getInstance("EC")
        g.initialize(ECGenParameterSpec("secp256r1"))
        val pair = g.generateKeyPair()
        val public = sec1(pair.public as ECPublicKey)
        keys[alias] = pair.private to public
        return public
    }

    @Synchronized override fun publicKey(alias: String): ByteArray =
        keys[alias]?.second ?: throw KeyStoreException.NotFound(alias)

    @Synchronized override fun sign(alias: String, message: ByteArray): ByteArray {
        if (failSigning) throw KeyStoreException.Platform("the user cancelled the prompt")
        val key = keys[alias]?.first ?: throw KeyStoreException.NotFound(alias)
        val s = Signature.getInstance("SHA256withECDSA")
        s.initSign(key)
        s.update(message)
        return s.sign() // DER, as Android Keystore returns it
    }

    @Synchronized override fun deleteKey(alias: String) {
        keys.remove(alias) ?: throw KeyStoreException.NotFound(alias)
    }

    @Synchronized override fun storeDataKey(alias: String, key: ByteArray) {
        dataKeys[alias] = key.copyOf()
    }

    @Synchronized override fun loadDataKey(alias: String): ByteArray =
        dataKeys[alias]?.copyOf() ?: throw KeyStoreException.NotFound(alias)

    @Synchronized fun aliases(): Set<String> = keys.keys.toSet()
}

// ---- the CLI as the issuer and the relying parties ------------------------------------------

val cli = System.getProperty("cancuoc.cli") ?: error("-Dcancuoc.cli is required")
val work = File(System.getProperty("cancuoc.work") ?: error("-Dcancuoc.work is required"))

fun run(vararg args: String): String {
    val p = ProcessBuilder(listOf(cli, "--lang", "en") + args).redirectErrorStream(true).start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor() == 0) { "cancuoc ${args.joinToString(" ")} failed: $out" }
    return out
}

fun issue(kind: String, devicePem: String, index: Int): Pair<ByteArray, ByteArray> {
    val pem = File(work, "device.pub.pem").apply { writeText(devicePem) }
    val doc = File(work, "$kind.json").apply { writeText(run("sample", kind)) }
    run("issue", "--pki", "$work/issuer", "--document", doc.path, "--holder-key", pem.path,
        "--out", "$work/$kind.cbor", "--qr-out", "$work/$kind.sdcwt", "--status-index", "$index")
    return File(work, "$kind.cbor").readBytes() to File(work, "$kind.sdcwt").readBytes()
}

fun request(party: String, kind: String, elements: String, vararg extra: String): String {
    val out = File(work, "request-$party.txt")
    run("request", "--verifier", "vn.$party", "--kind", kind, "--elements", elements,
        "--sign-key", "$work/$party/party-key.pem", "--certificate", "$work/$party/party.pem",
        "--out", out.path, *extra)
    return out.readText().trim()
}

val CLINIC = listOf("holder_name", "birth_date", "sex", "card_code", "valid_until",
    "registered_facility_code", "registered_facility_name")
const val PIN = "246810"

fun main() {
    work.mkdirs()
    run("pki", "--out", "$work/issuer")
    run("party", "--id", "vn.clinic", "--organization", "Phòng khám Đa khoa An Bình", "--out", "$work/clinic")
    run("party", "--id", "vn.bank", "--organization", "Ngân hàng Ví dụ", "--registry", "$work/clinic", "--out", "$work/bank")
    val issuerTrust = File("$work/issuer/iaca.pem").readText() + File("$work/issuer/ds.pem").readText()
    val registry = File("$work/clinic/registry.pem").readText()
    val options = WalletOptions(issuerTrust, registry, Language.VIETNAMESE, 300u)
    val keys = JvmKeyStore()
    val path = File(work, "wallet.db").path
    val wallet = Wallet.open(path, keys, options)
    val verifier = Verifier(issuerTrust, Language.VIETNAMESE)
    println("cancuoc core ${coreVersion()}")

    test("activation at level 1: the device key is made in the Kotlin key store") {
        check(wallet.account() == null) { "no account before activation" }
        val a = wallet.activate(Activation("001090012345", "NGUYỄN VĂN AN", "1990-05-01", AssuranceLevel.LEVEL1, null), PIN)
        check(a.level == AssuranceLevel.LEVEL1 && a.status == AccountStatus.ACTIVE) { "$a" }
        check(a.devicePublicKey.contentEquals(keys.publicKey(keys.aliases().first()))) { "device key" }
        check(wallet.isUnlocked()) { "the gate opens on activation" }
    }

    test("WalletException.Account: activating twice") {
        val e = expect<WalletException.Account> {
            wallet.activate(Activation("001090012345", "X", "1990-05-01", AssuranceLevel.LEVEL1, null), PIN)
        }
        check(e.code == "already_activated") { e.code }
    }

    val device = wallet.account()!!.devicePublicKeyPem
    val bhyt = issue("health_insurance", device, 2)

    test("WalletException.LevelTooLow: a level-1 account cannot hold the health insurance card") {
        val e = expect<WalletException.LevelTooLow> { wallet.addDocument(bhyt.first, bhyt.second, null) }
        check(e.reason.contains("mức 2")) { e.reason }
    }

    test("level 2: the four documents issued by the CLI are added and listed") {
        wallet.setLevel(AssuranceLevel.LEVEL2)
        wallet.addDocument(bhyt.first, bhyt.second, null)
        for ((i, kind) in listOf("citizen_identity", "driving_licence", "vehicle_registration").withIndex()) {
            val (mdoc, qr) = issue(kind, device, i + 10)
            val card = wallet.addDocument(mdoc, qr, null)
            check(card.status == DocumentStatus.VALID && card.hasQr) { "$card" }
        }
        val cards = wallet.documents()
        check(cards.size == 4) { "${cards.size} cards" }
        val detail = wallet.document(cards.first { it.kind == DocumentKind.HEALTH_INSURANCE }.id)
        check(detail.elements.any { it.identifier == "card_code" && it.label == "Mã thẻ" }) { "labels" }
        check(cards.first { it.kind == DocumentKind.CITIZEN_IDENTITY }.title == "Căn cước công dân") { "title" }
    }

    test("WalletException.Document: a document bound to another key, and an unknown id") {
        val other = JvmKeyStore()
        val pem = "-----BEGIN PUBLIC KEY-----\n" + java.util.Base64.getMimeEncoder(64, "\n".toByteArray()).encodeToString(
            KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }
                .generateKeyPair().public.encoded) + "\n-----END PUBLIC KEY-----\n"
        check(other.aliases().isEmpty()) { "fresh" }
        val (mdoc, _) = issue("driving_licence", pem, 30)
        val e = expect<WalletException.Document> { wallet.addDocument(mdoc, null, null) }
        check(e.code == "wrong_device_key") { e.code }
        check(expect<WalletException.Document> { wallet.removeDocument("nope") }.code == "no_such_document") { "id" }
    }

    val bhytId = wallet.documents().first { it.kind == DocumentKind.HEALTH_INSURANCE }.id
    var clinicQr = ""

    test("static clinic QR: presented, drawn and verified by the Kotlin Verifier") {
        val qr = wallet.presentQr(bhytId, CLINIC)
        clinicQr = qr.text
        check(qr.text.startsWith("CC1:")) { qr.text }
        check(qr.matrix.modules.size == (qr.matrix.size * qr.matrix.size).toInt()) { "matrix" }
        check(qr.expiresUnix - System.currentTimeMillis() / 1000 in 50..61) { "countdown ${qr.expiresUnix}" }
        val v = verifier.verifyQrText(qr.text, VerifyOptions(null, 60u, null, null))
        check(v.kind == DocumentKind.HEALTH_INSURANCE && v.title == "Thẻ bảo hiểm y tế") { v.title }
        check(v.elements.any { it.identifier == "card_code" && it.value == "DN4010123456789" }) { "card code" }
        check("device_authentication" in v.checks) { "${v.checks}" }
    }

    test("Verifier.verifyQrFrame: the QR read from a grayscale camera frame") {
        val m = qrMatrix(clinicQr)
        val scale = 4
        val quiet = 4
        val side = (m.size.toInt() + 2 * quiet) * scale
        val w = side + 200
        val h = side + 100
        val px = ByteArray(w * h) { 200.toByte() }
        for (y in 0 until side) for (x in 0 until side) {
            val mx = x / scale - quiet
            val my = y / scale - quiet
            val dark = mx in 0 until m.size.toInt() && my in 0 until m.size.toInt() &&
                m.modules[my * m.size.toInt() + mx]
            px[(y + 50) * w + x + 100] = if (dark) 20 else 235.toByte()
        }
        val v = verifier.verifyQrFrame(w.toUInt(), h.toUInt(), px, VerifyOptions(null, 60u, null, null))
        check(v.kind == DocumentKind.HEALTH_INSURANCE) { "$v" }
        val e = expect<VerificationException.Input> {
            verifier.verifyQrFrame(10u, 10u, ByteArray(3), VerifyOptions(null, 60u, null, null))
        }
        check(e.reason.isNotEmpty()) { "reason" }
    }

    test("VerificationException.Rejected: a tampered QR, with the reason in Vietnamese") {
        val chars = clinicQr.toCharArray()
        chars[200] = if (chars[200] == 'A') 'B' else 'A'
        val e = expect<VerificationException.Rejected> {
            verifier.verifyQrText(String(chars), VerifyOptions(null, 60u, null, null))
        }
        check(e.code.isNotEmpty() && e.check.isNotEmpty() && e.reason.isNotEmpty()) { "$e" }
    }

    test("challenge: the clinic's signed request answered with a subset, encrypted, verified") {
        val req = request("clinic", "health_insurance", CLINIC.joinToString(","),
            "--retain", "card_code", "--purpose", "Tiếp đón khám bệnh có BHYT",
            "--encrypt-to", "$work/clinic/party.pub.pem")
        val prompt = wallet.respond(req, null)
        check(prompt.partyName == "Phòng khám Đa khoa An Bình" && prompt.encrypted) { "$prompt" }
        check(prompt.elements.first { it.identifier == "card_code" }.retain) { "retain" }
        check(prompt.elements.first { it.identifier == "holder_name" }.label == "Họ và tên") { "label" }
        val answer = wallet.answer(prompt.id, Approval.Some(listOf("card_code", "holder_name")))
        check(answer is Answer.Presentation) { "$answer" }
        val text = (answer as Answer.Presentation).qr.text
        check(text.startsWith("CE1:")) { text }
        val key = File("$work/clinic/party-key.pem").readText()
        val v = verifier.verifyQrText(text, VerifyOptions(null, 60u, req, key))
        val ids = v.elements.map { it.identifier }
        check("card_code" in ids && "birth_date" !in ids) { "$ids" }
        check("challenge" in v.checks) { "${v.checks}" }
    }

    test("WalletException.RequestRefused: an unsigned request, and WalletException.Consent") {
        run("request", "--verifier", "vn.clinic", "--kind", "health_insurance", "--elements", "card_code",
            "--out", "$work/unsigned.txt")
        val e = expect<WalletException.RequestRefused> {
            wallet.respond(File("$work/unsigned.txt").readText().trim(), null)
        }
        check(e.code == "request_unsigned") { e.code }
        val prompt = wallet.respond(request("clinic", "health_insurance", "card_code,holder_name"), null)
        val c = expect<WalletException.Consent> { wallet.answer(prompt.id, Approval.Some(listOf("portrait"))) }
        check(c.code == "not_requested") { c.code }
        check(wallet.answer(prompt.id, Approval.Decline) is Answer.Declined) { "decline" }
    }

    test("grant: issued to the bank, checked, revoked, then rejected") {
        val req = request("bank", "citizen_identity", "full_name,birth_date,personal_administrative_number",
            "--grant-days", "365", "--purpose", "eKYC mở tài khoản")
        val prompt = wallet.respond(req, null)
        check(prompt.standingUntilUnix != null) { "standing consent" }
        val answer = wallet.answer(prompt.id, Approval.All) as Answer.Grant
        val holder = wallet.account()!!.devicePublicKey
        val ok = verifier.verifyGrant(answer.grant.text, GrantCheckOptions(null, holder, "vn.bank", listOf()))
        check(ok.subject == "001090012345" && ok.elements.size == 3) { "$ok" }
        val revoked = wallet.revokeGrant(answer.grant.id)
        check(!revoked.active && revoked.revocation != null) { "$revoked" }
        check(wallet.grants().single().revokedUnix != null) { "listed as revoked" }
        val e = expect<VerificationException.Rejected> {
            verifier.verifyGrant(answer.grant.text, GrantCheckOptions(null, holder, "vn.bank", listOf(revoked.revocation!!)))
        }
        check(e.code == "revoked") { e.code }
    }

    test("KeyStoreException from the host surfaces as WalletException.Storage") {
        keys.failSigning = true
        try {
            val e = expect<WalletException.Storage> { wallet.presentQr(bhytId, listOf("card_code")) }
            check(e.code == "key_store") { e.code }
        } finally {
            keys.failSigning = false
        }
    }

    test("the gate: WalletException.GateClosed, WrongPasscode, LockedOut, Input") {
        wallet.lock()
        expect<WalletException.GateClosed> { wallet.presentQr(bhytId, listOf("card_code")) }
        val w = expect<WalletException.WrongPasscode> { wallet.unlock("000000") }
        check(w.attemptsLeft == 4u && w.reason.contains("Còn 4 lần thử")) { w.reason }
        expect<WalletException.Input> { wallet.unlock("12") }
        repeat(4) { runCatching { wallet.unlock("000000") } }
        val l = expect<WalletException.LockedOut> { wallet.unlock(PIN) }
        check(l.until.isNotEmpty()) { "until" }
        expect<WalletException.LockedOut> { wallet.changePasscode(PIN, "135790") }
    }

    test("the log lists every step, verifies, and exports") {
        val log = wallet.auditLog(null, null, null)
        val outcomes = log.map { it.outcome }
        check(outcomes.count { it == "disclosed" } == 2) { "$outcomes" }
        check("granted" in outcomes && "revoked" in outcomes && "refused" in outcomes) { "$outcomes" }
        check(log.first { it.channel == "challenge_qr" && it.outcome == "disclosed" }.retained == listOf("card_code")) { "retained" }
        check(wallet.auditLog("vn.bank", null, null).size == 2) { "by party" }
        check(wallet.verifyLog() == log.size.toULong()) { "verify" }
        check(wallet.exportLogJson().contains("\"entries\"")) { "json" }
    }

    test("WalletException.AccountBlocked: a locked account presents nothing") {
        wallet.lockAccount()
        expect<WalletException.AccountBlocked> { wallet.presentQr(bhytId, listOf("card_code")) }
    }

    test("WalletException.Storage: the wallet does not open with another data key") {
        wallet.close()
        val stranger = JvmKeyStore()
        stranger.storeDataKey("cancuoc.storage", ByteArray(32) { 7 })
        val e = expect<WalletException.Storage> { Wallet.open(path, stranger, options) }
        check(e.code == "wrong_data_key") { e.code }
        // The right key store still opens it, with everything in place.
        Wallet.open(path, keys, options).use { again ->
            check(again.documents().size == 4) { "documents kept" }
            check(again.account()!!.status == AccountStatus.LOCKED) { "lock kept" }
        }
    }

    test("VerificationException.Input: a verifier with no trust") {
        expect<VerificationException.Input> { Verifier("not a certificate", Language.ENGLISH) }
    }

    test("WalletException.Service: the identity service out of reach, and sync before activation") {
        // Port 9 (discard) has nothing listening on this machine.
        val service = IdentityService("http://127.0.0.1:9", 2u, Language.VIETNAMESE)
        val fresh = Wallet.open(File(work, "offline.db").path, JvmKeyStore(), options)
        val offline = expect<WalletException.Service> {
            fresh.activateOnline(service, "001090012345", "Cancuoc@2026x", PIN)
        }
        check(offline.code == "offline") { offline.code }
        check(offline.reason.contains("Không kết nối")) { offline.reason }
        val noSession = expect<WalletException.Service> { fresh.sync(service) }
        check(noSession.code == "no_session") { noSession.code }
        check(fresh.account() == null) { "nothing activated" }
        fresh.close()
    }

    println()
    println("kotlin: $passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed == 0) 0 else 1)
}
