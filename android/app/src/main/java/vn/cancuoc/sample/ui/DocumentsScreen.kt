// The citizen's documents as cards (title, holder, number, validity, status), with the way to
// each wallet screen: present, add a document, scan a request, consents, the log, the
// verifier, and locking the wallet.
package vn.cancuoc.sample.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Card
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
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import vn.cancuoc.core.DocumentCard
import vn.cancuoc.core.DocumentStatus
import vn.cancuoc.sample.R
import vn.cancuoc.sample.core.Display
import vn.cancuoc.sample.core.Problem

class DocumentsNav(
    val present: (String) -> Unit,
    val add: () -> Unit,
    val scan: () -> Unit,
    val grants: () -> Unit,
    val log: () -> Unit,
    val verifier: () -> Unit,
)

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DocumentsScreen(nav: DocumentsNav, languageSwitch: @Composable () -> Unit) {
    val core = LocalCore.current
    val scope = rememberCoroutineScope()
    val describe = rememberDescribe()
    var cards by remember { mutableStateOf<List<DocumentCard>?>(null) }
    var problem by remember { mutableStateOf<Problem?>(null) }

    LaunchedEffect(Unit) {
        runCatching { core.run { documents() } }
            .onSuccess { cards = it }
            .onFailure { problem = describe(it) }
    }

    Screen(stringResource(R.string.documents_title), onBack = null, actions = languageSwitch) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).padding(horizontal = 16.dp)) {
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = nav.add) { Text(stringResource(R.string.document_add)) }
                OutlinedButton(onClick = nav.scan) { Text(stringResource(R.string.nav_scan)) }
                OutlinedButton(onClick = nav.grants) { Text(stringResource(R.string.nav_grants)) }
                OutlinedButton(onClick = nav.log) { Text(stringResource(R.string.nav_log)) }
                OutlinedButton(onClick = nav.verifier) { Text(stringResource(R.string.nav_verifier)) }
                OutlinedButton(onClick = { scope.launch { runCatching { core.run { lock() } } } }) {
                    Text(stringResource(R.string.nav_lock))
                }
            }
            ProblemText(problem, Modifier.padding(vertical = 8.dp))
            val list = cards
            when {
                list == null && problem == null -> Busy()
                list.isNullOrEmpty() -> Text(stringResource(R.string.documents_empty), Modifier.padding(vertical = 16.dp))
                else -> LazyColumn(verticalArrangement = Arrangement.spacedBy(12.dp), modifier = Modifier.padding(vertical = 12.dp)) {
                    items(list, key = { it.id }) { card -> DocumentCardView(card) { nav.present(card.id) } }
                }
            }
        }
    }
}

@Composable
private fun DocumentCardView(card: DocumentCard, onPresent: () -> Unit) {
    Card(Modifier.fillMaxWidth().clickable(enabled = card.hasQr, onClick = onPresent)) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(card.title, style = MaterialTheme.typography.titleLarge)
            Text(card.holderName, style = MaterialTheme.typography.titleMedium)
            card.dependent?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
            Text(stringResource(R.string.document_number, card.number))
            Text(stringResource(R.string.document_valid_until, Display.date(card.validUntilUnix)))
            Text(card.issuer, style = MaterialTheme.typography.bodySmall)
            val (status, color) = when (card.status) {
                DocumentStatus.VALID -> R.string.status_valid to MaterialTheme.colorScheme.primary
                DocumentStatus.NOT_YET_VALID -> R.string.status_not_yet_valid to MaterialTheme.colorScheme.error
                DocumentStatus.EXPIRED -> R.string.status_expired to MaterialTheme.colorScheme.error
                DocumentStatus.REVOKED -> R.string.status_revoked to MaterialTheme.colorScheme.error
            }
            Text(stringResource(status), color = color, style = MaterialTheme.typography.labelLarge)
            Text(
                stringResource(if (card.hasQr) R.string.document_show_qr else R.string.document_no_qr),
                style = MaterialTheme.typography.labelMedium,
            )
        }
    }
}
