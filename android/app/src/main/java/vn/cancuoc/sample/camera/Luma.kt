// A camera frame's luminance as the core's verifier takes it: width × height bytes, one a
// pixel, rows packed. CameraX's Y plane has a row stride (and, in theory, a pixel stride) of
// its own; this copies it into the packed form and can shrink big frames so each verification
// crosses the FFI with at most ~1 MB. Pure Kotlin over a ByteBuffer: JVM-tested.
package vn.cancuoc.sample.camera

import java.nio.ByteBuffer

class LumaFrame(val width: Int, val height: Int, val pixels: ByteArray) {
    init {
        require(width > 0 && height > 0 && pixels.size == width * height) { "not width × height bytes" }
    }
}

object Luma {
    /** Frames are shrunk by whole factors until both sides are at most this. */
    const val MAX_SIDE = 1280

    /**
     * Packs a Y plane (`rowStride` bytes a row, `pixelStride` bytes a pixel) into a
     * [LumaFrame], keeping every `step`-th pixel of every `step`-th row.
     */
    fun pack(
        plane: ByteBuffer,
        width: Int,
        height: Int,
        rowStride: Int,
        pixelStride: Int = 1,
        step: Int = stepFor(width, height),
    ): LumaFrame {
        require(width > 0 && height > 0 && rowStride >= (width - 1) * pixelStride + 1 && pixelStride >= 1 && step >= 1)
        val outW = width / step
        val outH = height / step
        val out = ByteArray(outW * outH)
        val src = plane.duplicate()
        if (pixelStride == 1 && step == 1) {
            val row = ByteArray(width)
            for (y in 0 until outH) {
                src.position(y * rowStride)
                src.get(row, 0, width)
                row.copyInto(out, y * outW)
            }
        } else {
            for (y in 0 until outH) {
                val base = y * step * rowStride
                for (x in 0 until outW) {
                    out[y * outW + x] = src.get(base + x * step * pixelStride)
                }
            }
        }
        return LumaFrame(outW, outH, out)
    }

    /** The smallest whole factor that brings both sides within [MAX_SIDE]. */
    fun stepFor(width: Int, height: Int): Int {
        var step = 1
        while (width / step > MAX_SIDE || height / step > MAX_SIDE) step++
        return step
    }
}
