// One place that turns the core's exceptions into what a screen shows: the sentence the core
// wrote for people (its `reason`, already in the wallet's language) and a stable code for
// logic. Never a stack trace, key material or a full identification number on screen.
package vn.cancuoc.sample.core

import vn.cancuoc.core.KeyStoreException
import vn.cancuoc.core.VerificationException
import vn.cancuoc.core.WalletException

/** What the app should do about a failure, beyond showing its sentence. */
enum class Remedy {
    /** Ask for the wallet passcode or biometrics, then retry. */
    UNLOCK,

    /** Show the platform prompt (screen lock / biometric) for the Keystore key, then retry. */
    AUTHENTICATE_DEVICE,

    /** Wait until the lock-out ends. */
    WAIT,

    /** Nothing to retry: show the sentence. */
    NONE,
}

data class Problem(val code: String, val text: String, val remedy: Remedy = Remedy.NONE)

object CoreErrors {
    /** The sentence and code of any failure; `fallback` for what the core did not write. */
    fun describe(t: Throwable, fallback: String): Problem = when (t) {
        is WalletException.Account -> Problem(t.code, t.reason)
        is WalletException.AccountBlocked -> Problem(t.code, t.reason)
        is WalletException.GateClosed -> Problem("gate_closed", t.reason, Remedy.UNLOCK)
        is WalletException.WrongPasscode -> Problem("wrong_passcode", t.reason, Remedy.UNLOCK)
        is WalletException.LockedOut -> Problem("locked_out", t.reason, Remedy.WAIT)
        is WalletException.LevelTooLow -> Problem("level_too_low", t.reason)
        is WalletException.Document -> Problem(t.code, t.reason)
        is WalletException.RequestRefused -> Problem(t.code, t.reason)
        is WalletException.Consent -> Problem(t.code, t.reason)
        is WalletException.Storage -> Problem(t.code, t.reason)
        is WalletException.Input -> Problem(t.code, t.reason)
        is VerificationException.Rejected -> Problem(t.code, t.reason)
        is VerificationException.Input -> Problem("input", t.reason)
        is KeyStoreException.Platform -> Problem("key_store", fallback)
        is KeyStoreException -> Problem("key_store", fallback)
        is DeviceAuthenticationRequired -> Problem("key_store", fallback, Remedy.AUTHENTICATE_DEVICE)
        else -> Problem("internal", fallback)
    }
}

/**
 * Thrown by [WalletService] when the Android Keystore refused to sign because the user has not
 * authenticated within the key's window: the screen shows the platform prompt and retries.
 */
class DeviceAuthenticationRequired : Exception("device authentication required")
