// Runs a core call for a screen and deals with the two interruptions every disclosing call
// can meet: the wallet's gate is closed (ask for the PIN or a biometric, then retry), or the
// Keystore key's authentication window has passed (show the platform prompt, then retry).
// The PIN dialog itself is drawn by GateDialog at the root of the composition.
package vn.cancuoc.sample.ui

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.fragment.app.FragmentActivity
import kotlinx.coroutines.CompletableDeferred
import vn.cancuoc.core.ConsentPrompt
import vn.cancuoc.core.WalletException
import vn.cancuoc.sample.R
import vn.cancuoc.sample.core.DeviceAuthenticationRequired
import vn.cancuoc.sample.core.WalletService

class CoreRunner(val activity: FragmentActivity, val service: WalletService) {
    /** Non-null while the PIN dialog is up; completed with true once the gate opened. */
    var gateRequest by mutableStateOf<CompletableDeferred<Boolean>?>(null)
        private set

    /** The consent prompt the scan screen got, for the consent screen to answer. */
    var pendingPrompt by mutableStateOf<ConsentPrompt?>(null)

    suspend fun <T> run(call: suspend WalletService.() -> T): T {
        repeat(MAX_INTERRUPTIONS) {
            try {
                return service.call()
            } catch (e: WalletException.GateClosed) {
                if (!askForGate()) throw e
            } catch (e: DeviceAuthenticationRequired) {
                val ok = Biometrics.deviceCredential(
                    activity,
                    activity.getString(R.string.device_auth_title),
                    activity.getString(R.string.device_auth_subtitle),
                )
                if (!ok) throw e
            }
        }
        return service.call()
    }

    private suspend fun askForGate(): Boolean {
        val request = CompletableDeferred<Boolean>()
        gateRequest = request
        return try {
            request.await()
        } finally {
            gateRequest = null
        }
    }

    companion object {
        private const val MAX_INTERRUPTIONS = 3
    }
}

val LocalCore = staticCompositionLocalOf<CoreRunner> { error("no CoreRunner provided") }
