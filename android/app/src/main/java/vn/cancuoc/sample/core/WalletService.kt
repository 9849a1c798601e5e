// The app's one door to the core: opens the wallet (Android Keystore key store, trust lists
// from assets) and the verifier, and runs every core call on Dispatchers.IO — the bindings are
// synchronous and some calls take a while (PBKDF2 on unlock, signing, verifying). A Keystore
// refusal for want of recent authentication becomes DeviceAuthenticationRequired, so a screen
// can show the platform prompt and retry.
package vn.cancuoc.sample.core

import android.content.Context
import androidx.appcompat.app.AppCompatDelegate
import androidx.core.os.LocaleListCompat
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import vn.cancuoc.core.AccountInfo
import vn.cancuoc.core.Activation
import vn.cancuoc.core.Answer
import vn.cancuoc.core.Approval
import vn.cancuoc.core.AuditEntry
import vn.cancuoc.core.ConsentPrompt
import vn.cancuoc.core.DocumentCard
import vn.cancuoc.core.DocumentDetail
import vn.cancuoc.core.GrantInfo
import vn.cancuoc.core.Language
import vn.cancuoc.core.PresentedQr
import vn.cancuoc.core.VerifiedPresentation
import vn.cancuoc.core.Verifier
import vn.cancuoc.core.VerifyOptions
import vn.cancuoc.core.Wallet
import vn.cancuoc.core.WalletException
import vn.cancuoc.core.WalletOptions
import vn.cancuoc.platform.AndroidKeyStore

class WalletService(context: Context) {
    private val appContext = context.applicationContext
    val keyStore = AndroidKeyStore(appContext)
    private val walletFile = File(appContext.noBackupFilesDir, "wallet/wallet.db")
    private val openLock = Mutex()

    @Volatile private var wallet: Wallet? = null
    @Volatile private var walletLanguage: Language? = null
    @Volatile private var verifier: Verifier? = null
    @Volatile private var verifierLanguage: Language? = null

    /**
     * The language of the core's sentences: the app's own language (the in-app switch), else
     * the phone's. A wallet opened in the other language is reopened — the data stays, the
     * gate closes (the PIN is asked again).
     */
    private fun currentLanguage(): Language {
        val chosen = AppCompatDelegate.getApplicationLocales()
        val locale = if (chosen.isEmpty) LocaleListCompat.getDefault()[0] else chosen[0]
        return if (locale?.language == "en") Language.ENGLISH else Language.VIETNAMESE
    }

    private suspend fun wallet(): Wallet {
        val lang = currentLanguage()
        wallet?.let { if (walletLanguage == lang) return it }
        return openLock.withLock {
            val open = wallet
            if (open != null && walletLanguage == lang) return@withLock open
            withContext(Dispatchers.IO) {
                open?.close()
                walletFile.parentFile?.mkdirs()
                val trust = TrustAssets.load(appContext)
                val options = WalletOptions(trust.issuers, trust.relyingParties, lang, IDLE_TIMEOUT_SECONDS)
                Wallet.open(walletFile.path, keyStore, options)
            }.also {
                wallet = it
                walletLanguage = lang
            }
        }
    }

    private suspend fun verifier(): Verifier {
        val lang = currentLanguage()
        verifier?.let { if (verifierLanguage == lang) return it }
        return openLock.withLock {
            val open = verifier
            if (open != null && verifierLanguage == lang) return@withLock open
            withContext(Dispatchers.IO) {
                open?.close()
                Verifier(TrustAssets.load(appContext).issuers, lang)
            }.also {
                verifier = it
                verifierLanguage = lang
            }
        }
    }

    /** Runs a wallet call off the main thread; a Keystore window miss asks for the prompt. */
    private suspend fun <T> io(call: (Wallet) -> T): T {
        val w = wallet()
        return withContext(Dispatchers.IO) {
            try {
                call(w)
            } catch (e: WalletException.Storage) {
                if (keyStore.takeAuthenticationRequired()) throw DeviceAuthenticationRequired()
                throw e
            }
        }
    }

    suspend fun account(): AccountInfo? = io { it.account() }

    suspend fun activate(activation: Activation, passcode: String): AccountInfo =
        io { it.activate(activation, passcode) }

    suspend fun unlock(passcode: String) = io { it.unlock(passcode) }

    /** After BiometricPrompt succeeded with a strong biometric. */
    suspend fun unlockBiometric() = io { it.unlockBiometric(true, System.currentTimeMillis() / 1000) }

    suspend fun isUnlocked(): Boolean = io { it.isUnlocked() }

    suspend fun lock() = io { it.lock() }

    suspend fun documents(): List<DocumentCard> = io { it.documents() }

    suspend fun document(id: String): DocumentDetail = io { it.document(id) }

    suspend fun addDocument(mdoc: ByteArray, qr: ByteArray?): DocumentCard =
        io { it.addDocument(mdoc, qr, null) }

    suspend fun removeDocument(id: String) = io { it.removeDocument(id) }

    suspend fun presentQr(documentId: String, elements: List<String>): PresentedQr =
        io { it.presentQr(documentId, elements) }

    suspend fun respond(request: String): ConsentPrompt = io { it.respond(request, null) }

    suspend fun answer(promptId: String, approval: Approval): Answer = io { it.answer(promptId, approval) }

    suspend fun grants(): List<GrantInfo> = io { it.grants() }

    suspend fun revokeGrant(id: String): GrantInfo = io { it.revokeGrant(id) }

    /** The activity log, newest first, and whether its chain verifies (the entry count). */
    suspend fun log(): Pair<List<AuditEntry>, Result<ULong>> = io { w ->
        w.auditLog(null, null, null).sortedByDescending { it.seq } to runCatching { w.verifyLog() }
    }

    suspend fun exportLogJson(): String = io { it.exportLogJson() }

    /** Reads and verifies the QR in one camera frame (static mode, 60 s freshness). */
    suspend fun verifyFrame(width: Int, height: Int, luma: ByteArray): VerifiedPresentation {
        val v = verifier()
        return withContext(Dispatchers.IO) {
            v.verifyQrFrame(width.toUInt(), height.toUInt(), luma, VerifyOptions(null, 60u, null, null))
        }
    }

    suspend fun verifyText(text: String): VerifiedPresentation {
        val v = verifier()
        return withContext(Dispatchers.IO) { v.verifyQrText(text, VerifyOptions(null, 60u, null, null)) }
    }

    companion object {
        /** The gate's idle timeout, the same window as the Keystore key's authentication. */
        val IDLE_TIMEOUT_SECONDS: UInt = AndroidKeyStore.DEFAULT_AUTH_VALIDITY_SECONDS.toUInt()
    }
}
