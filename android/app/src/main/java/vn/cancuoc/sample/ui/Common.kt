// Pieces every screen shares: the scaffold with a back arrow, a failure line, the PIN field,
// the gate dialog (PIN or biometric) CoreRunner raises, and the names of document kinds.
package vn.cancuoc.sample.ui

import androidx.annotation.StringRes
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import vn.cancuoc.core.DocumentKind
import vn.cancuoc.sample.R
import vn.cancuoc.sample.core.CoreErrors
import vn.cancuoc.sample.core.Problem

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun Screen(
    title: String,
    onBack: (() -> Unit)?,
    actions: @Composable () -> Unit = {},
    content: @Composable (PaddingValues) -> Unit,
) {
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(title) },
                navigationIcon = {
                    if (onBack != null) {
                        IconButton(onClick = onBack) {
                            Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
                        }
                    }
                },
                actions = { actions() },
            )
        },
        content = content,
    )
}

@Composable
fun ProblemText(problem: Problem?, modifier: Modifier = Modifier) {
    if (problem != null) {
        Text(problem.text, color = MaterialTheme.colorScheme.error, modifier = modifier)
    }
}

/** The failure as a screen shows it, with the app's own sentence when the core wrote none. */
@Composable
fun rememberDescribe(): (Throwable) -> Problem {
    val fallback = stringResource(R.string.error_generic)
    return remember(fallback) { { t: Throwable -> CoreErrors.describe(t, fallback) } }
}

@Composable
fun PinField(value: String, onValue: (String) -> Unit, @StringRes label: Int, modifier: Modifier = Modifier) {
    OutlinedTextField(
        value = value,
        onValueChange = { v -> onValue(v.filter(Char::isDigit).take(6)) },
        label = { Text(stringResource(label)) },
        singleLine = true,
        visualTransformation = PasswordVisualTransformation(),
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
        modifier = modifier,
    )
}

/** The wallet's gate: shown while CoreRunner waits for the PIN or a biometric. */
@Composable
fun GateDialog(core: CoreRunner) {
    val request = core.gateRequest ?: return
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    var pin by remember(request) { mutableStateOf("") }
    var problem by remember(request) { mutableStateOf<Problem?>(null) }
    var busy by remember(request) { mutableStateOf(false) }
    val biometricTitle = stringResource(R.string.biometric_title)
    val cancel = stringResource(R.string.action_cancel)

    AlertDialog(
        onDismissRequest = { request.complete(false) },
        title = { Text(stringResource(R.string.unlock_title)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                PinField(pin, { pin = it }, R.string.unlock_prompt)
                ProblemText(problem)
                if (Biometrics.canUseStrongBiometric(core.activity)) {
                    TextButton(enabled = !busy, onClick = {
                        scope.launch {
                            if (Biometrics.strongBiometric(core.activity, biometricTitle, cancel)) {
                                busy = true
                                runCatching { core.service.unlockBiometric() }
                                    .onSuccess { request.complete(true) }
                                    .onFailure { problem = describe(it) }
                                busy = false
                            }
                        }
                    }) { Text(stringResource(R.string.unlock_biometric)) }
                }
            }
        },
        confirmButton = {
            TextButton(enabled = pin.length == 6 && !busy, onClick = {
                scope.launch {
                    busy = true
                    val code = pin
                    pin = ""
                    runCatching { core.service.unlock(code) }
                        .onSuccess { request.complete(true) }
                        .onFailure { problem = describe(it) }
                    busy = false
                }
            }) { Text(stringResource(R.string.unlock_button)) }
        },
        dismissButton = {
            TextButton(onClick = { request.complete(false) }) { Text(cancel) }
        },
    )
}

@StringRes
fun kindName(kind: DocumentKind): Int = when (kind) {
    DocumentKind.CITIZEN_IDENTITY -> R.string.kind_citizen_identity
    DocumentKind.DRIVING_LICENCE -> R.string.kind_driving_licence
    DocumentKind.HEALTH_INSURANCE -> R.string.kind_health_insurance
    DocumentKind.VEHICLE_REGISTRATION -> R.string.kind_vehicle_registration
}

@Composable
fun Busy(modifier: Modifier = Modifier) {
    Column(modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.Center) {
        androidx.compose.material3.LinearProgressIndicator(modifier = Modifier.padding(8.dp))
        Text(stringResource(R.string.working))
    }
}
