// The platform's authentication prompt as a suspend call: a strong biometric for the wallet's
// gate, or the screen lock / a biometric to renew the Android Keystore key's window.
package vn.cancuoc.sample.ui

import android.os.Build
import androidx.biometric.BiometricManager
import androidx.biometric.BiometricManager.Authenticators.BIOMETRIC_STRONG
import androidx.biometric.BiometricManager.Authenticators.BIOMETRIC_WEAK
import androidx.biometric.BiometricManager.Authenticators.DEVICE_CREDENTIAL
import androidx.biometric.BiometricPrompt
import androidx.core.content.ContextCompat
import androidx.fragment.app.FragmentActivity
import kotlin.coroutines.resume
import kotlinx.coroutines.suspendCancellableCoroutine

object Biometrics {
    /** Whether a strong biometric is enrolled (the gate's biometric button shows only then). */
    fun canUseStrongBiometric(activity: FragmentActivity): Boolean =
        BiometricManager.from(activity).canAuthenticate(BIOMETRIC_STRONG) == BiometricManager.BIOMETRIC_SUCCESS

    /** A strong biometric only: what the wallet's gate accepts as `unlockBiometric`. */
    suspend fun strongBiometric(activity: FragmentActivity, title: String, cancel: String): Boolean =
        prompt(
            activity,
            BiometricPrompt.PromptInfo.Builder()
                .setTitle(title)
                .setAllowedAuthenticators(BIOMETRIC_STRONG)
                .setNegativeButtonText(cancel)
                .build(),
        )

    /**
     * The screen lock or a biometric: renews the window in which the Keystore device key may
     * sign (AndroidKeyStore binds it to AUTH_BIOMETRIC_STRONG | AUTH_DEVICE_CREDENTIAL).
     * Before API 30 that pair cannot be asked for together; any unlock renews the window there.
     */
    suspend fun deviceCredential(activity: FragmentActivity, title: String, subtitle: String): Boolean {
        val allowed = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            BIOMETRIC_STRONG or DEVICE_CREDENTIAL
        } else {
            BIOMETRIC_WEAK or DEVICE_CREDENTIAL
        }
        return prompt(
            activity,
            BiometricPrompt.PromptInfo.Builder()
                .setTitle(title)
                .setSubtitle(subtitle)
                .setAllowedAuthenticators(allowed)
                .build(),
        )
    }

    private suspend fun prompt(activity: FragmentActivity, info: BiometricPrompt.PromptInfo): Boolean =
        suspendCancellableCoroutine { cont ->
            val prompt = BiometricPrompt(
                activity,
                ContextCompat.getMainExecutor(activity),
                object : BiometricPrompt.AuthenticationCallback() {
                    override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) {
                        if (cont.isActive) cont.resume(true)
                    }

                    override fun onAuthenticationError(errorCode: Int, errString: CharSequence) {
                        if (cont.isActive) cont.resume(false)
                    }
                    // onAuthenticationFailed: one rejected try; the prompt stays up.
                },
            )
            prompt.authenticate(info)
            cont.invokeOnCancellation { prompt.cancelAuthentication() }
        }
}
