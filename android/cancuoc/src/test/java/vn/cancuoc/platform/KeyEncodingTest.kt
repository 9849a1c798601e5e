// JVM unit tests of the Android key store's pure parts: SEC1 public keys (checked against the
// JDK's own X.509 encoding), the wrapped data-key format with a software AES-GCM key standing
// in for the Keystore one, and the atomic file write.
package vn.cancuoc.platform

import java.io.File
import java.math.BigInteger
import java.nio.file.Files
import java.security.KeyPairGenerator
import java.security.SecureRandom
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test

class KeyEncodingTest {
    private fun p256(): ECPublicKey {
        val g = KeyPairGenerator.getInstance("EC")
        g.initialize(ECGenParameterSpec("secp256r1"))
        return g.generateKeyPair().public as ECPublicKey
    }

    @Test
    fun sec1IsTheTailOfTheX509Encoding() {
        repeat(20) {
            val key = p256()
            val sec1 = Sec1.uncompressed(key)
            assertEquals(65, sec1.size)
            assertEquals(0x04.toByte(), sec1[0])
            // A P-256 SubjectPublicKeyInfo ends with the 65-byte uncompressed point.
            val spki = key.encoded
            assertArrayEquals(spki.copyOfRange(spki.size - 65, spki.size), sec1)
        }
    }

    @Test
    fun coordinatesArePaddedAndStripped() {
        assertArrayEquals(ByteArray(31) + byteArrayOf(1), Sec1.fixed(BigInteger.ONE))
        // 0xff… needs a sign byte in toByteArray(); the output drops it.
        val max = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE)
        assertArrayEquals(ByteArray(32) { 0xff.toByte() }, Sec1.fixed(max))
        assertThrows(IllegalArgumentException::class.java) { Sec1.fixed(max.add(BigInteger.ONE)) }
        assertThrows(IllegalArgumentException::class.java) { Sec1.fixed(BigInteger.ONE.negate()) }
    }

    private val wrapKey = SecretKeySpec(ByteArray(32) { it.toByte() }, "AES")

    private fun seal(alias: String, dataKey: ByteArray): ByteArray {
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        val iv = ByteArray(12).also { SecureRandom().nextBytes(it) }
        c.init(Cipher.ENCRYPT_MODE, wrapKey, GCMParameterSpec(128, iv))
        c.updateAAD(WrappedDataKey.associatedData(alias))
        return WrappedDataKey(iv, c.doFinal(dataKey)).encode()
    }

    private fun open(alias: String, blob: ByteArray): ByteArray {
        val w = WrappedDataKey.decode(blob) ?: error("not a wrapped key")
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.DECRYPT_MODE, wrapKey, GCMParameterSpec(128, w.iv))
        c.updateAAD(WrappedDataKey.associatedData(alias))
        return c.doFinal(w.ciphertext)
    }

    @Test
    fun wrappedDataKeyRoundTripsAndIsBoundToItsAlias() {
        val dataKey = ByteArray(32).also { SecureRandom().nextBytes(it) }
        val blob = seal("cancuoc.storage", dataKey)
        assertEquals(4 + 2 + 12 + 32 + 16, blob.size)
        assertArrayEquals(dataKey, open("cancuoc.storage", blob))
        // The same blob under another alias fails authentication.
        assertThrows(AEADBadTagException::class.java) { open("cancuoc.other", blob) }
        // A flipped ciphertext bit fails authentication.
        val bad = blob.copyOf().also { it[it.size - 1] = (it[it.size - 1].toInt() xor 1).toByte() }
        assertThrows(AEADBadTagException::class.java) { open("cancuoc.storage", bad) }
    }

    @Test
    fun malformedBlobsAreRefused() {
        val good = seal("a", ByteArray(32))
        assertNull(WrappedDataKey.decode(ByteArray(0)))
        assertNull(WrappedDataKey.decode(good.copyOf(good.size - 1)))
        assertNull(WrappedDataKey.decode(good + byteArrayOf(0)))
        assertNull(WrappedDataKey.decode(good.copyOf().also { it[0] = 'X'.code.toByte() }))
        assertNull(WrappedDataKey.decode(good.copyOf().also { it[4] = 2 })) // version
        assertNull(WrappedDataKey.decode(good.copyOf().also { it[5] = 40 })) // IV length
    }

    @Test
    fun atomicWriteReplacesWholeAndLeavesNoTemporary() {
        val dir = Files.createTempDirectory("cancuoc-keys").toFile()
        try {
            val f = File(dir, "nested/cancuoc.storage.wrapped")
            AtomicFiles.write(f, byteArrayOf(1, 2, 3))
            AtomicFiles.write(f, byteArrayOf(4, 5))
            assertArrayEquals(byteArrayOf(4, 5), f.readBytes())
            assertFalse(File(f.parentFile, ".${f.name}.tmp").exists())
            assertTrue(f.parentFile.listFiles()!!.size == 1)
        } finally {
            dir.deleteRecursively()
        }
    }
}
