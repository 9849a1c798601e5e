// Adding a document issued to this phone: shows the device's public key (SPKI PEM) for the
// issuer — in development, `cancuoc issue --holder-key` — then reads the chosen mdoc (.cbor)
// and optional QR form (.sdcwt) files and hands them to the core, which verifies them.
package vn.cancuoc.sample.ui

import android.content.Intent
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.selection.SelectionContainer
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalClipboardManager
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import vn.cancuoc.sample.R
import vn.cancuoc.sample.core.Problem

/** The most a document file may be: the core refuses larger input anyway. */
private const val MAX_FILE_BYTES = 1 shl 20

@Composable
fun ImportScreen(onBack: () -> Unit) {
    val core = LocalCore.current
    val context = LocalContext.current
    val clipboard = LocalClipboardManager.current
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    var devicePem by remember { mutableStateOf<String?>(null) }
    var mdoc by remember { mutableStateOf<Uri?>(null) }
    var qr by remember { mutableStateOf<Uri?>(null) }
    var problem by remember { mutableStateOf<Problem?>(null) }
    var added by remember { mutableStateOf<String?>(null) }
    var busy by remember { mutableStateOf(false) }
    val pickMdoc = rememberLauncherForActivityResult(ActivityResultContracts.OpenDocument()) { mdoc = it }
    val pickQr = rememberLauncherForActivityResult(ActivityResultContracts.OpenDocument()) { qr = it }

    LaunchedEffect(Unit) {
        runCatching { core.run { account() } }
            .onSuccess { devicePem = it?.devicePublicKeyPem }
            .onFailure { problem = describe(it) }
    }

    suspend fun read(uri: Uri): ByteArray = withContext(Dispatchers.IO) {
        context.contentResolver.openInputStream(uri)?.use { input ->
            val out = java.io.ByteArrayOutputStream()
            val buffer = ByteArray(8192)
            while (true) {
                val n = input.read(buffer)
                if (n < 0) break
                out.write(buffer, 0, n)
                require(out.size() <= MAX_FILE_BYTES) { "file too large" }
            }
            out.toByteArray()
        } ?: error("unreadable file")
    }

    Screen(stringResource(R.string.import_title), onBack = onBack) { padding ->
        Column(
            Modifier.fillMaxSize().padding(padding).padding(16.dp).verticalScroll(rememberScrollState()),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            Text(stringResource(R.string.import_device_key))
            devicePem?.let { pem ->
                SelectionContainer {
                    Text(pem, fontFamily = FontFamily.Monospace, style = MaterialTheme.typography.bodySmall)
                }
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    OutlinedButton(onClick = { clipboard.setText(AnnotatedString(pem)) }) {
                        Text(stringResource(R.string.import_copy))
                    }
                    OutlinedButton(onClick = {
                        val send = Intent(Intent.ACTION_SEND).setType("text/plain").putExtra(Intent.EXTRA_TEXT, pem)
                        context.startActivity(Intent.createChooser(send, null))
                    }) { Text(stringResource(R.string.import_share)) }
                }
            }
            OutlinedButton(onClick = { pickMdoc.launch(arrayOf("*/*")) }, modifier = Modifier.fillMaxWidth()) {
                Text(stringResource(R.string.import_pick_mdoc))
            }
            mdoc?.let { Text(stringResource(R.string.import_file_chosen, it.lastPathSegment ?: "")) }
            OutlinedButton(onClick = { pickQr.launch(arrayOf("*/*")) }, modifier = Modifier.fillMaxWidth()) {
                Text(stringResource(R.string.import_pick_qr))
            }
            qr?.let { Text(stringResource(R.string.import_file_chosen, it.lastPathSegment ?: "")) }
            ProblemText(problem)
            added?.let { Text(stringResource(R.string.import_added, it), color = MaterialTheme.colorScheme.primary) }
            Button(
                enabled = mdoc != null && !busy,
                onClick = {
                    val m = mdoc ?: return@Button
                    scope.launch {
                        busy = true
                        problem = null
                        runCatching {
                            val mdocBytes = read(m)
                            val qrBytes = qr?.let { read(it) }
                            core.run { addDocument(mdocBytes, qrBytes) }
                        }.onSuccess { card ->
                            added = card.title
                            mdoc = null
                            qr = null
                        }.onFailure { problem = describe(it) }
                        busy = false
                    }
                },
                modifier = Modifier.fillMaxWidth(),
            ) { Text(stringResource(R.string.import_add)) }
        }
    }
}
