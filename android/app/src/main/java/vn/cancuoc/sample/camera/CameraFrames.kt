// CameraX glue: an ImageAnalysis use case that hands each frame's packed luminance to the
// verifier screen (dropping frames while one is being verified), and one that hands the
// media image to ML Kit for the wallet's request scanner.
package vn.cancuoc.sample.camera

import androidx.annotation.OptIn
import androidx.camera.core.ExperimentalGetImage
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import android.util.Size
import com.google.mlkit.vision.barcode.BarcodeScannerOptions
import com.google.mlkit.vision.barcode.BarcodeScanning
import com.google.mlkit.vision.barcode.common.Barcode
import com.google.mlkit.vision.common.InputImage
import java.util.concurrent.Executor
import java.util.concurrent.atomic.AtomicBoolean

/** The Y plane of a YUV_420_888 frame, packed (CameraX's default analysis format). */
fun ImageProxy.toLuma(): LumaFrame {
    val y = planes[0]
    return Luma.pack(y.buffer, width, height, y.rowStride, y.pixelStride)
}

private fun analysis(): ImageAnalysis =
    ImageAnalysis.Builder()
        .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
        .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
        .setResolutionSelector(
            ResolutionSelector.Builder()
                .setResolutionStrategy(
                    ResolutionStrategy(Size(1280, 720), ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER),
                )
                .build(),
        )
        .build()

/**
 * Frames for the core's verifier: `onFrame` runs for one frame at a time; frames that arrive
 * while it runs are dropped. `onFrame` must call [done] when the verification has finished
 * (it runs the core call on Dispatchers.IO itself).
 */
fun lumaAnalysis(executor: Executor, onFrame: (LumaFrame, done: () -> Unit) -> Unit): ImageAnalysis {
    val busy = AtomicBoolean(false)
    return analysis().apply {
        setAnalyzer(executor) { image ->
            try {
                if (busy.compareAndSet(false, true)) {
                    val frame = image.toLuma() // copied: the ImageProxy is closed right after
                    onFrame(frame) { busy.set(false) }
                }
            } finally {
                image.close()
            }
        }
    }
}

/** QR texts seen by ML Kit (the relying party's request on a counter screen or paper). */
@OptIn(ExperimentalGetImage::class)
fun qrTextAnalysis(executor: Executor, onText: (String) -> Unit): ImageAnalysis {
    val scanner = BarcodeScanning.getClient(
        BarcodeScannerOptions.Builder().setBarcodeFormats(Barcode.FORMAT_QR_CODE).build(),
    )
    return analysis().apply {
        setAnalyzer(executor) { proxy ->
            val media = proxy.image
            if (media == null) {
                proxy.close()
                return@setAnalyzer
            }
            scanner.process(InputImage.fromMediaImage(media, proxy.imageInfo.rotationDegrees))
                .addOnSuccessListener { codes -> codes.firstNotNullOfOrNull { it.rawValue }?.let(onText) }
                .addOnCompleteListener { proxy.close() }
        }
    }
}
