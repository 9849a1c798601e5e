// The sample app's Application: owns the one WalletService (and through it the wallet file,
// the Android Keystore key store and the verifier) for the whole process.
package vn.cancuoc.sample

import android.app.Application
import vn.cancuoc.sample.core.WalletService

class SampleApp : Application() {
    val service: WalletService by lazy { WalletService(this) }
}
