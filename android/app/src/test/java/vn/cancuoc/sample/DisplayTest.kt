// JVM unit tests of what the screens compute without a device: the QR countdown, dates in
// Vietnam's time zone, QR module lookups, the element picker's starting selection, and the
// packing of camera Y planes for the core's verifier.
package vn.cancuoc.sample

import java.nio.ByteBuffer
import java.time.ZoneId
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test
import vn.cancuoc.core.DocumentKind
import vn.cancuoc.core.ElementView
import vn.cancuoc.core.QrMatrix
import vn.cancuoc.sample.camera.Luma
import vn.cancuoc.sample.core.Display

class DisplayTest {
    @Test
    fun countdownCountsWholeSecondsAndStopsAtZero() {
        val expires = 1_800_000_060L
        assertEquals(60, Display.secondsLeft(expires, 1_800_000_000_000L))
        assertEquals(59, Display.secondsLeft(expires, 1_800_000_000_999L + 1))
        assertEquals(1, Display.secondsLeft(expires, 1_800_000_059_999L))
        assertEquals(0, Display.secondsLeft(expires, 1_800_000_060_000L))
        assertEquals(0, Display.secondsLeft(expires, 1_900_000_000_000L))
        assertEquals("1:00", Display.countdown(60))
        assertEquals("0:05", Display.countdown(5))
        assertEquals("0:00", Display.countdown(-3))
        assertEquals(0.5f, Display.fractionLeft(30, 60), 0.0001f)
        assertEquals(0f, Display.fractionLeft(5, 0), 0.0001f)
        assertEquals(1f, Display.fractionLeft(90, 60), 0.0001f)
    }

    @Test
    fun datesAreShownInVietnamTime() {
        // 2026-11-22T17:30:00Z is already 23 November in Hanoi (UTC+7).
        val t = 1_795_368_600L
        assertEquals("23/11/2026", Display.date(t))
        assertEquals("00:30 23/11/2026", Display.dateTime(t))
        assertEquals("22/11/2026", Display.date(t, ZoneId.of("UTC")))
    }

    @Test
    fun matrixModulesAreReadRowByRow() {
        // 2 × 2: dark at (1, 0) and (0, 1).
        val m = QrMatrix(2u, 1u, listOf(false, true, true, false))
        assertFalse(Display.isDark(m, 0, 0))
        assertTrue(Display.isDark(m, 1, 0))
        assertTrue(Display.isDark(m, 0, 1))
        assertFalse(Display.isDark(m, 1, 1))
        assertFalse(Display.isDark(m, -1, 0))
        assertFalse(Display.isDark(m, 2, 0))
        // A matrix shorter than size² (never sent by the core) reads as light, not a crash.
        assertFalse(Display.isDark(QrMatrix(3u, 1u, listOf(true)), 2, 2))
    }

    private fun e(id: String, selectable: Boolean = true) = ElementView(id, id, "v", null, selectable)

    @Test
    fun pickerStartsWithFixedElementsAndTheClinicPreset() {
        val bhyt = listOf(e("doc_type", selectable = false), e("holder_name"), e("birth_date"), e("card_code"), e("portrait"), e("address"))
        assertEquals(
            setOf("doc_type", "holder_name", "birth_date", "card_code"),
            Display.initialSelection(DocumentKind.HEALTH_INSURANCE, bhyt),
        )
        val dl = listOf(e("issuing_country", selectable = false), e("family_name"), e("portrait"))
        assertEquals(setOf("issuing_country"), Display.initialSelection(DocumentKind.DRIVING_LICENCE, dl))
        // The request keeps the document's order and drops unknown identifiers.
        assertEquals(listOf("holder_name", "card_code"), Display.chosen(bhyt, setOf("card_code", "nope", "holder_name")))
    }

    @Test
    fun yPlanesArePackedWithoutTheirRowPadding() {
        // 3 × 2 image in rows of stride 5 (2 bytes of padding each).
        val plane = ByteBuffer.wrap(byteArrayOf(1, 2, 3, 99, 99, 4, 5, 6, 99, 99))
        val f = Luma.pack(plane, width = 3, height = 2, rowStride = 5)
        assertEquals(3, f.width)
        assertEquals(2, f.height)
        assertArrayEquals(byteArrayOf(1, 2, 3, 4, 5, 6), f.pixels)
        // The last row may lack its padding (CameraX buffers end at the last pixel).
        val short = ByteBuffer.wrap(byteArrayOf(1, 2, 3, 99, 99, 4, 5, 6))
        assertArrayEquals(byteArrayOf(1, 2, 3, 4, 5, 6), Luma.pack(short, 3, 2, 5).pixels)
        // A pixel stride of 2 takes every other byte.
        val interleaved = ByteBuffer.wrap(byteArrayOf(1, 0, 2, 0, 3, 0, 4, 0))
        assertArrayEquals(byteArrayOf(1, 2, 3, 4), Luma.pack(interleaved, 2, 2, rowStride = 4, pixelStride = 2, step = 1).pixels)
        assertThrows(IllegalArgumentException::class.java) { Luma.pack(plane, 6, 2, rowStride = 5) }
    }

    @Test
    fun bigFramesAreShrunkByWholeSteps() {
        assertEquals(1, Luma.stepFor(1280, 720))
        assertEquals(2, Luma.stepFor(1920, 1080))
        assertEquals(4, Luma.stepFor(4032, 3024))
        val w = 2600
        val h = 4
        val plane = ByteBuffer.wrap(ByteArray(w * h) { i -> (i % w % 128).toByte() })
        val f = Luma.pack(plane, w, h, rowStride = w)
        assertEquals(3, Luma.stepFor(w, h))
        assertEquals(w / 3, f.width)
        assertEquals(1, f.height)
        assertEquals(3.toByte(), f.pixels[1])
    }
}
