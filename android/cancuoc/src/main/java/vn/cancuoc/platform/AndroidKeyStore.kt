// The core's `KeyStore` on Android Keystore: the citizen's device key (EC P-256, StrongBox when
// the phone has it, usable only within a window after the user authenticated with the screen
// lock or a strong biometric) and the wallet's storage data key, sealed with an AES-256-GCM
// Keystore key and kept in app-private, no-backup storage. Private keys never leave the
// Keystore; the core sends the bytes to sign and gets a DER signature back.
package vn.cancuoc.platform

import android.app.KeyguardManager
import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyInfo
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.UserNotAuthenticatedException
import java.io.File
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.PrivateKey
import java.security.ProviderException
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.atomic.AtomicBoolean
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import vn.cancuoc.core.KeyStore
import vn.cancuoc.core.KeyStoreException
import java.security.KeyStore as JcaKeyStore

/**
 * Android Keystore as the core's key store.
 *
 * @param authValiditySeconds how long after the user unlocked the phone, or passed a
 *   [androidx.biometric.BiometricPrompt] with the device credential or a strong biometric, the
 *   device key may sign. Unlocking the lock screen counts, so a citizen who just opened the
 *   phone is not asked twice; past the window, [sign] fails and [takeAuthenticationRequired]
 *   tells the app to show the prompt and retry.
 * @param requireUserAuthentication false only for emulators without a lock screen in
 *   development: the device key then signs without any user authentication.
 */
class AndroidKeyStore(
    context: Context,
    private val authValiditySeconds: Int = DEFAULT_AUTH_VALIDITY_SECONDS,
    private val requireUserAuthentication: Boolean = true,
) : KeyStore {
    private val appContext = context.applicationContext
    private val dataKeyDir = File(appContext.noBackupFilesDir, "cancuoc-keys")
    private val authRequired = AtomicBoolean(false)
    private val lock = Any()

    private val keystore: JcaKeyStore by lazy {
        JcaKeyStore.getInstance(PROVIDER).apply { load(null) }
    }

    private val hasStrongBox: Boolean =
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
            appContext.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

    /**
     * True once after a [sign] failed because the user has not authenticated within the
     * window: the app shows the prompt and repeats the call. Reading it clears it.
     */
    fun takeAuthenticationRequired(): Boolean = authRequired.getAndSet(false)

    /** Where the key under `alias` lives, for an "about this device" screen. */
    @Suppress("DEPRECATION") // KeyInfo.isInsideSecureHardware, the only answer before API 31
    fun securityLevel(alias: String): SecurityLevel = guard(alias) {
        val key = keystore.getKey(alias, null) as? PrivateKey ?: throw KeyStoreException.NotFound(alias)
        val info = KeyFactory.getInstance(key.algorithm, PROVIDER).getKeySpec(key, KeyInfo::class.java)
        when {
            Build.VERSION.SDK_INT >= Build.VERSION_CODES.S ->
                when (info.securityLevel) {
                    KeyProperties.SECURITY_LEVEL_STRONGBOX -> SecurityLevel.STRONGBOX
                    KeyProperties.SECURITY_LEVEL_TRUSTED_ENVIRONMENT -> SecurityLevel.TRUSTED_ENVIRONMENT
                    KeyProperties.SECURITY_LEVEL_SOFTWARE -> SecurityLevel.SOFTWARE
                    else -> SecurityLevel.UNKNOWN
                }
            info.isInsideSecureHardware -> SecurityLevel.TRUSTED_ENVIRONMENT
            else -> SecurityLevel.SOFTWARE
        }
    }

    override fun createKey(alias: String): ByteArray = guard(alias) {
        synchronized(lock) {
            if (keystore.containsAlias(alias)) throw KeyStoreException.AlreadyExists(alias)
            if (requireUserAuthentication && !isDeviceSecure(appContext)) {
                // Keys bound to user authentication need a screen lock; refuse rather than
                // silently make a key anyone holding the phone can use.
                throw KeyStoreException.Platform(DEVICE_NOT_SECURE)
            }
            val pair = withStrongBoxFallback { strongBox ->
                val generator = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, PROVIDER)
                generator.initialize(deviceKeySpec(alias, strongBox))
                generator.generateKeyPair()
            }
            Sec1.uncompressed(pair.public as ECPublicKey)
        }
    }

    override fun publicKey(alias: String): ByteArray = guard(alias) {
        val cert = keystore.getCertificate(alias) ?: throw KeyStoreException.NotFound(alias)
        Sec1.uncompressed(cert.publicKey as ECPublicKey)
    }

    override fun sign(alias: String, message: ByteArray): ByteArray = guard(alias) {
        val key = keystore.getKey(alias, null) as? PrivateKey ?: throw KeyStoreException.NotFound(alias)
        try {
            Signature.getInstance("SHA256withECDSA").run {
                initSign(key)
                update(message)
                sign() // DER ECDSA-Sig-Value; the bindings accept it
            }
        } catch (e: UserNotAuthenticatedException) {
            authRequired.set(true)
            throw KeyStoreException.Platform(USER_AUTHENTICATION_REQUIRED)
        } catch (e: KeyPermanentlyInvalidatedException) {
            // The screen lock was removed: the key is gone for good; the citizen re-activates.
            throw KeyStoreException.Platform(KEY_INVALIDATED)
        }
    }

    override fun deleteKey(alias: String) = guard(alias) {
        synchronized(lock) {
            val hadKey = keystore.containsAlias(alias)
            val wrapped = dataKeyFile(alias)
            val hadData = wrapped.exists()
            if (!hadKey && !hadData) throw KeyStoreException.NotFound(alias)
            if (hadKey) keystore.deleteEntry(alias)
            if (hadData) {
                wrapped.delete()
                val wrapAlias = wrapKeyAlias(alias)
                if (keystore.containsAlias(wrapAlias)) keystore.deleteEntry(wrapAlias)
            }
        }
    }

    override fun storeDataKey(alias: String, key: ByteArray) = guard(alias) {
        try {
            if (key.size != WrappedDataKey.DATA_KEY_BYTES) {
                throw KeyStoreException.Platform("the data key must be 32 bytes")
            }
            synchronized(lock) {
                val wrapKey = wrapKey(alias, create = true)
                val cipher = Cipher.getInstance(AES_GCM)
                cipher.init(Cipher.ENCRYPT_MODE, wrapKey) // the Keystore picks a fresh IV
                cipher.updateAAD(WrappedDataKey.associatedData(alias))
                val sealed = WrappedDataKey(cipher.iv, cipher.doFinal(key))
                AtomicFiles.write(dataKeyFile(alias), sealed.encode())
            }
        } finally {
            key.fill(0)
        }
    }

    override fun loadDataKey(alias: String): ByteArray = guard(alias) {
        val file = dataKeyFile(alias)
        if (!file.exists()) throw KeyStoreException.NotFound(alias)
        val sealed = WrappedDataKey.decode(file.readBytes())
            ?: throw KeyStoreException.Platform("the stored data key is unreadable")
        val wrapKey = wrapKey(alias, create = false)
        val cipher = Cipher.getInstance(AES_GCM)
        cipher.init(Cipher.DECRYPT_MODE, wrapKey, GCMParameterSpec(GCM_TAG_BITS, sealed.iv))
        cipher.updateAAD(WrappedDataKey.associatedData(alias))
        // The bindings zeroize their copy after use; this array is the caller's to drop.
        cipher.doFinal(sealed.ciphertext)
    }

    private fun deviceKeySpec(alias: String, strongBox: Boolean): KeyGenParameterSpec =
        KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .apply {
                if (requireUserAuthentication) {
                    setUserAuthenticationRequired(true)
                    if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                        setUserAuthenticationParameters(
                            authValiditySeconds,
                            KeyProperties.AUTH_BIOMETRIC_STRONG or KeyProperties.AUTH_DEVICE_CREDENTIAL,
                        )
                    } else {
                        @Suppress("DEPRECATION")
                        setUserAuthenticationValidityDurationSeconds(authValiditySeconds)
                    }
                }
                if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(true)
            }
            .build()

    private fun wrapKeySpec(alias: String, strongBox: Boolean): KeyGenParameterSpec =
        KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setKeySize(256)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setRandomizedEncryptionRequired(true)
            .apply {
                // The data key is needed to open the wallet, before any prompt: no user
                // authentication, but only while the phone is unlocked (API 28+).
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setUnlockedDeviceRequired(true)
                if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(true)
            }
            .build()

    private fun wrapKey(alias: String, create: Boolean): SecretKey {
        val wrapAlias = wrapKeyAlias(alias)
        (keystore.getKey(wrapAlias, null) as? SecretKey)?.let { return it }
        if (!create) throw KeyStoreException.Platform("the key that seals the data key is gone")
        return withStrongBoxFallback { strongBox ->
            val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
            generator.init(wrapKeySpec(wrapAlias, strongBox))
            generator.generateKey()
        }
    }

    /** Tries StrongBox first where the phone has it; falls back to the TEE when it refuses. */
    private fun <T> withStrongBoxFallback(make: (strongBox: Boolean) -> T): T {
        if (hasStrongBox) {
            try {
                return make(true)
            } catch (e: ProviderException) {
                // StrongBoxUnavailableException (a ProviderException) or a StrongBox that does
                // not support this key: the TEE key is the fallback.
            }
        }
        return make(false)
    }

    private fun dataKeyFile(alias: String) = File(dataKeyDir, "$alias.wrapped")

    /** Runs a key store operation; anything but our own errors becomes `Platform`. */
    private inline fun <T> guard(alias: String, op: () -> T): T {
        checkAlias(alias)
        return try {
            op()
        } catch (e: KeyStoreException) {
            throw e
        } catch (e: Exception) {
            // The class name only: platform messages may quote key material or file paths.
            throw KeyStoreException.Platform("${e.javaClass.simpleName} in the Android Keystore")
        }
    }

    private fun checkAlias(alias: String) {
        val ok = alias.length in 1..64 && !alias.startsWith('.') &&
            alias.all { it in 'a'..'z' || it in 'A'..'Z' || it in '0'..'9' || it == '.' || it == '_' || it == '-' }
        if (!ok) throw KeyStoreException.Platform("bad alias")
    }

    enum class SecurityLevel { STRONGBOX, TRUSTED_ENVIRONMENT, SOFTWARE, UNKNOWN }

    companion object {
        private const val PROVIDER = "AndroidKeyStore"
        private const val AES_GCM = "AES/GCM/NoPadding"
        private const val GCM_TAG_BITS = 128

        /** The wallet's idle timeout: a citizen who unlocked the phone is not asked again. */
        const val DEFAULT_AUTH_VALIDITY_SECONDS = 300

        /** `Platform` messages the app can act on. */
        const val USER_AUTHENTICATION_REQUIRED = "user_authentication_required"
        const val DEVICE_NOT_SECURE = "device_not_secure"
        const val KEY_INVALIDATED = "key_permanently_invalidated"

        internal fun wrapKeyAlias(alias: String) = "$alias.wrap"

        /** True when the phone has a screen lock (PIN, pattern, password). */
        fun isDeviceSecure(context: Context): Boolean =
            context.getSystemService(KeyguardManager::class.java)?.isDeviceSecure == true
    }
}
