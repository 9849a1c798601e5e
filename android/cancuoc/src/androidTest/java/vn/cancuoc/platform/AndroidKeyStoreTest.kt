// Instrumented tests of AndroidKeyStore on a real Keystore (device or emulator):
// `./gradlew :cancuoc:connectedAndroidTest`. The device key is made, found, used to sign (the
// DER signature checked with the platform's own verifier), refused twice and deleted; the
// data key is sealed to a file that does not hold it in clear, replaced, loaded, and the
// caller's copy is wiped. User authentication is off here (emulators often have no screen
// lock); the authentication window itself is checked by hand (android/README.md).
package vn.cancuoc.platform

import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import java.io.File
import java.security.Signature
import java.security.interfaces.ECPublicKey
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import vn.cancuoc.core.KeyStoreException
import java.security.KeyStore as JcaKeyStore

@RunWith(AndroidJUnit4::class)
class AndroidKeyStoreTest {
    private val context = InstrumentationRegistry.getInstrumentation().targetContext
    private val store = AndroidKeyStore(context, requireUserAuthentication = false)
    private val alias = "cancuoc.test.${System.nanoTime()}"
    private val dataAlias = "$alias.data"

    @After
    fun cleanUp() {
        runCatching { store.deleteKey(alias) }
        runCatching { store.deleteKey(dataAlias) }
    }

    @Test
    fun deviceKeyIsMadeUsedAndDeleted() {
        val public = store.createKey(alias)
        assertEquals(65, public.size)
        assertEquals(0x04.toByte(), public[0])
        assertArrayEquals(public, store.publicKey(alias))
        assertThrows(KeyStoreException.AlreadyExists::class.java) { store.createKey(alias) }
        assertNotEquals(AndroidKeyStore.SecurityLevel.UNKNOWN, store.securityLevel(alias))

        val message = "DeviceAuthentication".toByteArray()
        val der = store.sign(alias, message)
        assertEquals(0x30.toByte(), der[0]) // DER SEQUENCE
        val certificateKey = JcaKeyStore.getInstance("AndroidKeyStore").apply { load(null) }
            .getCertificate(alias).publicKey as ECPublicKey
        assertArrayEquals(public, Sec1.uncompressed(certificateKey))
        val verifier = Signature.getInstance("SHA256withECDSA").apply {
            initVerify(certificateKey)
            update(message)
        }
        assertTrue(verifier.verify(der))

        store.deleteKey(alias)
        assertThrows(KeyStoreException.NotFound::class.java) { store.publicKey(alias) }
        assertThrows(KeyStoreException.NotFound::class.java) { store.sign(alias, message) }
        assertThrows(KeyStoreException.NotFound::class.java) { store.deleteKey(alias) }
    }

    @Test
    fun dataKeyIsSealedReplacedAndLoaded() {
        assertThrows(KeyStoreException.NotFound::class.java) { store.loadDataKey(dataAlias) }
        val first = ByteArray(32) { (it * 7 + 1).toByte() }
        val handedOver = first.copyOf()
        store.storeDataKey(dataAlias, handedOver)
        assertTrue("the caller's copy is wiped", handedOver.all { it == 0.toByte() })
        assertArrayEquals(first, store.loadDataKey(dataAlias))

        val sealed = File(File(context.noBackupFilesDir, "cancuoc-keys"), "$dataAlias.wrapped").readBytes()
        assertFalse("the file must not hold the key in clear", sealed.toList().windowed(32).any { it == first.toList() })

        val second = ByteArray(32) { 9 }
        store.storeDataKey(dataAlias, second.copyOf())
        assertArrayEquals(second, store.loadDataKey(dataAlias))
        assertThrows(KeyStoreException.Platform::class.java) { store.storeDataKey(dataAlias, ByteArray(16)) }
    }

    @Test
    fun aliasesOutsideTheCoresRulesAreRefused() {
        for (bad in listOf("", ".hidden", "a/b", "../x", "khóa", "x".repeat(65))) {
            assertThrows(bad, KeyStoreException.Platform::class.java) { store.createKey(bad) }
        }
    }
}
