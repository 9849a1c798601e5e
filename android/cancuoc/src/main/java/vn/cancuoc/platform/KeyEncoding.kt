// Pure encodings the Android key store needs and JVM unit tests check without a device:
// a P-256 public key as SEC1 bytes, the file format of a wrapped data key, and the
// write-then-rename of that file. No Android API here.
package vn.cancuoc.platform

import java.io.File
import java.io.FileOutputStream
import java.io.IOException
import java.math.BigInteger
import java.security.interfaces.ECPublicKey

/** SEC1 encodings of P-256 public keys (what the core's `KeyStore.createKey` returns). */
object Sec1 {
    private const val COORDINATE_BYTES = 32

    /** `0x04 ‖ X ‖ Y`, each coordinate left-padded to 32 bytes (65 bytes). */
    fun uncompressed(key: ECPublicKey): ByteArray {
        require(key.params.curve.field.fieldSize == 256) { "not a P-256 key" }
        val out = ByteArray(1 + 2 * COORDINATE_BYTES)
        out[0] = 0x04
        fixed(key.w.affineX).copyInto(out, 1)
        fixed(key.w.affineY).copyInto(out, 1 + COORDINATE_BYTES)
        return out
    }

    /** An unsigned coordinate as exactly 32 big-endian bytes. */
    internal fun fixed(v: BigInteger): ByteArray {
        require(v.signum() >= 0 && v.bitLength() <= 8 * COORDINATE_BYTES) { "coordinate out of range" }
        val raw = v.toByteArray() // may carry a leading 0x00 sign byte or be shorter than 32
        val out = ByteArray(COORDINATE_BYTES)
        val n = minOf(raw.size, COORDINATE_BYTES)
        raw.copyInto(out, COORDINATE_BYTES - n, raw.size - n, raw.size)
        return out
    }
}

/**
 * A storage data key sealed by an AES-256-GCM Keystore key, as kept on disk:
 * `"CCDK" ‖ version (1) ‖ IV length (1) ‖ IV ‖ ciphertext with its 16-byte tag`.
 * The associated data binds the blob to its alias, so one alias's file cannot stand in for
 * another's.
 */
class WrappedDataKey(val iv: ByteArray, val ciphertext: ByteArray) {
    fun encode(): ByteArray {
        val out = ByteArray(MAGIC.size + 2 + iv.size + ciphertext.size)
        MAGIC.copyInto(out, 0)
        out[MAGIC.size] = VERSION
        out[MAGIC.size + 1] = iv.size.toByte()
        iv.copyInto(out, MAGIC.size + 2)
        ciphertext.copyInto(out, MAGIC.size + 2 + iv.size)
        return out
    }

    companion object {
        private val MAGIC = byteArrayOf('C'.code.toByte(), 'C'.code.toByte(), 'D'.code.toByte(), 'K'.code.toByte())
        private const val VERSION: Byte = 1
        private const val TAG_BYTES = 16
        const val DATA_KEY_BYTES = 32

        /** The associated data of the seal: the alias, with a label. */
        fun associatedData(alias: String): ByteArray = "cancuoc-data-key:$alias".toByteArray(Charsets.UTF_8)

        /** Parses a blob; null when it is not one this version wrote. */
        fun decode(bytes: ByteArray): WrappedDataKey? {
            val header = MAGIC.size + 2
            if (bytes.size < header) return null
            if (!bytes.copyOfRange(0, MAGIC.size).contentEquals(MAGIC)) return null
            if (bytes[MAGIC.size] != VERSION) return null
            val ivLen = bytes[MAGIC.size + 1].toInt() and 0xff
            if (ivLen !in 12..16) return null
            if (bytes.size != header + ivLen + DATA_KEY_BYTES + TAG_BYTES) return null
            return WrappedDataKey(
                bytes.copyOfRange(header, header + ivLen),
                bytes.copyOfRange(header + ivLen, bytes.size),
            )
        }
    }
}

/** Files written whole or not at all: a temporary sibling, fsync, then rename over. */
object AtomicFiles {
    @Throws(IOException::class)
    fun write(target: File, bytes: ByteArray) {
        val dir = target.absoluteFile.parentFile ?: throw IOException("no parent directory")
        if (!dir.isDirectory && !dir.mkdirs()) throw IOException("cannot create ${dir.name}")
        val tmp = File(dir, ".${target.name}.tmp")
        try {
            FileOutputStream(tmp).use { out ->
                out.write(bytes)
                out.fd.sync()
            }
            if (!tmp.renameTo(target)) throw IOException("cannot replace ${target.name}")
        } finally {
            if (tmp.exists()) tmp.delete()
        }
    }
}
