// Activation: the citizen's identity as on the chip card, the assurance level (set by the
// identity service in production) and a 6-digit PIN typed twice. The core creates the device
// key in Android Keystore and stores only a PBKDF2 hash of the PIN.
package vn.cancuoc.sample.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import vn.cancuoc.core.Activation
import vn.cancuoc.core.AssuranceLevel
import vn.cancuoc.platform.AndroidKeyStore
import vn.cancuoc.sample.R
import vn.cancuoc.sample.core.Problem

@Composable
fun ActivationScreen(onActivated: () -> Unit, languageSwitch: @Composable () -> Unit) {
    val core = LocalCore.current
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    val secure = AndroidKeyStore.isDeviceSecure(LocalContext.current)
    var personalId by remember { mutableStateOf("") }
    var fullName by remember { mutableStateOf("") }
    var birthDate by remember { mutableStateOf("") }
    var level by remember { mutableStateOf(AssuranceLevel.LEVEL2) }
    var pin by remember { mutableStateOf("") }
    var pinAgain by remember { mutableStateOf("") }
    var problem by remember { mutableStateOf<Problem?>(null) }
    var busy by remember { mutableStateOf(false) }
    val mismatch = stringResource(R.string.passcode_mismatch)

    Screen(stringResource(R.string.activation_title), onBack = null, actions = languageSwitch) { padding ->
        Column(
            Modifier.fillMaxSize().padding(padding).padding(16.dp).verticalScroll(rememberScrollState()),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            Text(stringResource(R.string.activation_intro))
            if (!secure) {
                Text(stringResource(R.string.device_not_secure), color = MaterialTheme.colorScheme.error)
            }
            OutlinedTextField(
                personalId, { v -> personalId = v.filter(Char::isDigit).take(12) },
                label = { Text(stringResource(R.string.field_personal_id)) },
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
                singleLine = true, modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                fullName, { fullName = it },
                label = { Text(stringResource(R.string.field_full_name)) },
                singleLine = true, modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                birthDate, { v -> birthDate = v.filter { it.isDigit() || it == '-' }.take(10) },
                label = { Text(stringResource(R.string.field_birth_date)) },
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
                singleLine = true, modifier = Modifier.fillMaxWidth(),
            )
            Text(stringResource(R.string.field_level), style = MaterialTheme.typography.titleSmall)
            Row(verticalAlignment = Alignment.CenterVertically) {
                RadioButton(level == AssuranceLevel.LEVEL1, { level = AssuranceLevel.LEVEL1 })
                Text(stringResource(R.string.level_1))
                RadioButton(level == AssuranceLevel.LEVEL2, { level = AssuranceLevel.LEVEL2 })
                Text(stringResource(R.string.level_2))
            }
            Text(stringResource(R.string.level_note), style = MaterialTheme.typography.bodySmall)
            PinField(pin, { pin = it }, R.string.field_passcode, Modifier.fillMaxWidth())
            PinField(pinAgain, { pinAgain = it }, R.string.field_passcode_again, Modifier.fillMaxWidth())
            ProblemText(problem)
            Button(
                enabled = !busy && secure && personalId.length == 12 && fullName.isNotBlank() &&
                    birthDate.length == 10 && pin.length == 6 && pinAgain.length == 6,
                onClick = {
                    if (pin != pinAgain) {
                        problem = Problem("passcode_mismatch", mismatch)
                        return@Button
                    }
                    scope.launch {
                        busy = true
                        val activation = Activation(personalId, fullName.trim(), birthDate, level, null)
                        val code = pin
                        runCatching { core.run { activate(activation, code) } }
                            .onSuccess {
                                pin = ""
                                pinAgain = ""
                                onActivated()
                            }
                            .onFailure { problem = describe(it) }
                        busy = false
                    }
                },
                modifier = Modifier.fillMaxWidth(),
            ) { Text(stringResource(R.string.activation_button)) }
        }
    }
}
