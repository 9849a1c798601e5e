// Root build of the cancuoc Android project: declares the plugins the modules apply (versions
// from gradle/libs.versions.toml) without applying them here.
plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.android.library) apply false
    alias(libs.plugins.kotlin.android) apply false
    alias(libs.plugins.kotlin.compose) apply false
}
