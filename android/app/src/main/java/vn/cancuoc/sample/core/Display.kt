// Pure helpers the screens use to show core values: the QR's countdown, dates in Vietnam's
// time zone, module lookups in a QrMatrix, which elements a picker starts with, and the words
// for log outcomes. No Android API, so the JVM unit tests cover them.
package vn.cancuoc.sample.core

import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import vn.cancuoc.core.DocumentKind
import vn.cancuoc.core.ElementView
import vn.cancuoc.core.QrMatrix

object Display {
    val VIETNAM: ZoneId = ZoneId.of("Asia/Ho_Chi_Minh")
    private val DATE = DateTimeFormatter.ofPattern("dd/MM/yyyy")
    private val DATE_TIME = DateTimeFormatter.ofPattern("HH:mm dd/MM/yyyy")

    /** Whole seconds until `expiresUnix`, never negative (0 = hide the code). */
    fun secondsLeft(expiresUnix: Long, nowMillis: Long): Long =
        maxOf(0L, expiresUnix - Math.floorDiv(nowMillis, 1000L))

    /** "0:45", "1:00". */
    fun countdown(seconds: Long): String {
        val s = maxOf(0L, seconds)
        return "%d:%02d".format(s / 60, s % 60)
    }

    /** The share of the QR's lifetime left, for a progress ring (1 → 0). */
    fun fractionLeft(secondsLeft: Long, lifetimeSeconds: Long): Float =
        if (lifetimeSeconds <= 0) 0f else (secondsLeft.toFloat() / lifetimeSeconds).coerceIn(0f, 1f)

    fun date(unix: Long, zone: ZoneId = VIETNAM): String =
        DATE.format(Instant.ofEpochSecond(unix).atZone(zone))

    fun dateTime(unix: Long, zone: ZoneId = VIETNAM): String =
        DATE_TIME.format(Instant.ofEpochSecond(unix).atZone(zone))

    /** Whether the module at (x, y) is dark; false outside the matrix (the quiet zone). */
    fun isDark(matrix: QrMatrix, x: Int, y: Int): Boolean {
        val n = matrix.size.toInt()
        if (x !in 0 until n || y !in 0 until n) return false
        return matrix.modules.getOrElse(y * n + x) { false }
    }

    /**
     * The elements a presentation picker starts with: the always-disclosed ones (not
     * selectable) plus, for the health insurance card, what a clinic's reception needs.
     * Everything else starts unticked — the citizen adds what they choose.
     */
    fun initialSelection(kind: DocumentKind, elements: List<ElementView>): Set<String> {
        val fixed = elements.filter { !it.selectable }.map { it.identifier }
        val preset = when (kind) {
            DocumentKind.HEALTH_INSURANCE -> CLINIC_RECEPTION
            else -> emptyList()
        }
        val available = elements.map { it.identifier }.toSet()
        return (fixed + preset.filter { it in available }).toSet()
    }

    /** What a clinic's reception desk reads from the health insurance card. */
    val CLINIC_RECEPTION = listOf(
        "holder_name", "birth_date", "sex", "card_code", "valid_until",
        "registered_facility_code", "registered_facility_name",
    )

    /** The identifiers to send for a selection: only known ones, in the document's order. */
    fun chosen(elements: List<ElementView>, selection: Set<String>): List<String> =
        elements.map { it.identifier }.filter { it in selection }
}
