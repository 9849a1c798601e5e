// JVM unit tests of how the core's exceptions reach the screen: the core's own sentence
// (never the debug text uniffi puts in Throwable.message), a stable code, and what to do next
// (unlock, authenticate the device, wait, or nothing).
package vn.cancuoc.sample

import org.junit.Assert.assertEquals
import org.junit.Test
import vn.cancuoc.core.KeyStoreException
import vn.cancuoc.core.VerificationException
import vn.cancuoc.core.WalletException
import vn.cancuoc.sample.core.CoreErrors
import vn.cancuoc.sample.core.DeviceAuthenticationRequired
import vn.cancuoc.sample.core.Remedy

class CoreErrorsTest {
    private val fallback = "Đã có lỗi. Hãy thử lại."

    @Test
    fun walletErrorsShowTheCoresSentence() {
        val wrong = CoreErrors.describe(WalletException.WrongPasscode(4u, "Sai mã PIN. Còn 4 lần thử."), fallback)
        assertEquals("Sai mã PIN. Còn 4 lần thử.", wrong.text)
        assertEquals(Remedy.UNLOCK, wrong.remedy)
        val gate = CoreErrors.describe(WalletException.GateClosed("Hãy mở ví."), fallback)
        assertEquals(Remedy.UNLOCK, gate.remedy)
        val locked = CoreErrors.describe(WalletException.LockedOut("2026-11-23T09:00:00Z", "Thử lại sau."), fallback)
        assertEquals(Remedy.WAIT, locked.remedy)
        val refused = CoreErrors.describe(WalletException.RequestRefused("request_unsigned", "Yêu cầu không có chữ ký."), fallback)
        assertEquals("request_unsigned", refused.code)
        assertEquals("Yêu cầu không có chữ ký.", refused.text)
        assertEquals(Remedy.NONE, refused.remedy)
    }

    @Test
    fun verifierRejectionsCarryTheirCode() {
        val p = CoreErrors.describe(VerificationException.Rejected("issuer_signature", "bad_signature", "Chữ ký không hợp lệ."), fallback)
        assertEquals("bad_signature", p.code)
        assertEquals("Chữ ký không hợp lệ.", p.text)
    }

    @Test
    fun platformAndUnknownFailuresShowTheAppsSentence() {
        // A key store message may name internals: the screen shows the app's own sentence.
        assertEquals(fallback, CoreErrors.describe(KeyStoreException.Platform("InvalidKeyException in the Android Keystore"), fallback).text)
        assertEquals(fallback, CoreErrors.describe(IllegalStateException("boom"), fallback).text)
        assertEquals(Remedy.AUTHENTICATE_DEVICE, CoreErrors.describe(DeviceAuthenticationRequired(), fallback).remedy)
    }
}
