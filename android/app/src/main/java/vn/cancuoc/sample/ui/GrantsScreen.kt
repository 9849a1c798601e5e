// Standing consents the citizen gave (consent grants): party, document, elements, purpose and
// period, active or revoked — and revoking one, which the core signs with the device key (so
// it may need the Keystore prompt) and logs; the signed revocation is shown for the party.
package vn.cancuoc.sample.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import vn.cancuoc.core.GrantInfo
import vn.cancuoc.sample.R
import vn.cancuoc.sample.core.Display
import vn.cancuoc.sample.core.Problem

@Composable
fun GrantsScreen(onBack: () -> Unit) {
    val core = LocalCore.current
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    var grants by remember { mutableStateOf<List<GrantInfo>?>(null) }
    var problem by remember { mutableStateOf<Problem?>(null) }
    var confirm by remember { mutableStateOf<GrantInfo?>(null) }

    suspend fun reload() {
        runCatching { core.run { grants() } }
            .onSuccess { grants = it.sortedByDescending { g -> g.issuedUnix } }
            .onFailure { problem = describe(it) }
    }
    LaunchedEffect(Unit) { reload() }

    Screen(stringResource(R.string.grants_title), onBack = onBack) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).padding(16.dp)) {
            ProblemText(problem)
            val list = grants
            when {
                list == null -> if (problem == null) Busy()
                list.isEmpty() -> Text(stringResource(R.string.grants_empty))
                else -> LazyColumn(verticalArrangement = Arrangement.spacedBy(12.dp)) {
                    items(list, key = { it.id }) { g -> GrantCard(g, onRevoke = { confirm = g }) }
                }
            }
        }
    }

    confirm?.let { g ->
        AlertDialog(
            onDismissRequest = { confirm = null },
            text = { Text(stringResource(R.string.grant_revoke_confirm, g.party)) },
            confirmButton = {
                TextButton(onClick = {
                    confirm = null
                    scope.launch {
                        problem = null
                        runCatching { core.run { revokeGrant(g.id) } }
                            .onFailure { problem = describe(it) }
                        reload()
                    }
                }) { Text(stringResource(R.string.grant_revoke)) }
            },
            dismissButton = { TextButton(onClick = { confirm = null }) { Text(stringResource(R.string.action_cancel)) } },
        )
    }
}

@Composable
private fun GrantCard(g: GrantInfo, onRevoke: () -> Unit) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(g.party, style = MaterialTheme.typography.titleMedium)
            Text(stringResource(kindName(g.document)))
            Text(stringResource(R.string.consent_purpose, g.purpose))
            Text(stringResource(R.string.grant_elements, g.elements.joinToString(", ")), style = MaterialTheme.typography.bodySmall)
            Text(stringResource(R.string.grant_period, Display.date(g.issuedUnix), Display.date(g.expiresUnix)))
            val revoked = g.revokedUnix
            when {
                revoked != null -> Text(stringResource(R.string.grant_revoked_at, Display.dateTime(revoked)), color = MaterialTheme.colorScheme.error)
                g.active -> {
                    Text(stringResource(R.string.grant_active), color = MaterialTheme.colorScheme.primary)
                    OutlinedButton(onClick = onRevoke) { Text(stringResource(R.string.grant_revoke)) }
                }
                else -> Text(stringResource(R.string.grant_inactive))
            }
        }
    }
}
