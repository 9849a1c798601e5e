// The sample app: a Jetpack Compose wallet (activation, document cards, presenting with a
// countdown, answering a relying party's request, grants, the activity log) and a verifier
// screen fed by CameraX frames, on top of the `cancuoc` library module.
//
// The certificates it trusts are copied into its assets at build time:
//   -Pcancuoc.trustDir=DIR   a `cancuoc demo --out DIR` output (DIR/trust/*.pem for the
//                            issuer, DIR/clinic/registry.pem for the relying parties);
//                            default: <repo>/demo-out, else the committed test vectors.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

val repoRoot: File = rootProject.projectDir.parentFile
val trustDir: File = (findProperty("cancuoc.trustDir") as String?)?.let { File(it).absoluteFile }
    ?: File(repoRoot, "demo-out").takeIf { File(it, "trust").isDirectory }
    ?: File(repoRoot, "test-vectors")
// Both layouts keep the issuer's certificates under trust/.
val issuerPems: List<File> = listOf(File(trustDir, "trust/iaca.pem"), File(trustDir, "trust/ds.pem"))
val registryPem: File = listOf(File(trustDir, "clinic/registry.pem"), File(trustDir, "consent/registry.pem"))
    .firstOrNull { it.isFile } ?: File(trustDir, "clinic/registry.pem")
val trustAssets: File = layout.buildDirectory.dir("generated/trust-assets").get().asFile

// Certificates only: a file holding a private key is refused, so a PKI directory's keys can
// never end up inside an APK.
val copyTrust by tasks.registering {
    description = "Copies the trusted issuer and relying-party certificates into the app's assets"
    inputs.files(issuerPems + registryPem)
    outputs.dir(trustAssets)
    doLast {
        fun certs(files: List<File>): String = files.joinToString("") { f ->
            require(f.isFile) { "cancuoc: ${f.path} is missing — run `cargo run -p cancuoc-cli -- demo --out demo-out` or pass -Pcancuoc.trustDir" }
            val text = f.readText()
            require("PRIVATE KEY" !in text) { "cancuoc: ${f.path} holds a private key; only certificates go into the app" }
            require("BEGIN CERTIFICATE" in text) { "cancuoc: ${f.path} holds no certificate" }
            text.trimEnd() + "\n"
        }
        val out = File(trustAssets, "trust")
        out.mkdirs()
        File(out, "issuers.pem").writeText(certs(issuerPems))
        File(out, "relying-parties.pem").writeText(certs(listOf(registryPem)))
    }
}

android {
    namespace = "vn.cancuoc.sample"
    compileSdk = 35

    defaultConfig {
        applicationId = "vn.cancuoc.sample"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // Only the ABIs build-native.sh builds.
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures { compose = true }

    sourceSets["main"].assets.srcDir(trustAssets)

    androidResources {
        // Per-app language (Settings → Apps → Language, and the in-app switch).
        generateLocaleConfig = true
    }

    testOptions {
        unitTests.isReturnDefaultValues = true
    }
}

tasks.named("preBuild") { dependsOn(copyTrust) }

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":cancuoc"))

    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.appcompat)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.navigation.compose)
    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.ui.graphics)
    implementation(libs.androidx.compose.ui.tooling.preview)
    implementation(libs.androidx.compose.material3)
    implementation(libs.androidx.compose.material.icons.core)
    debugImplementation(libs.androidx.compose.ui.tooling)
    implementation(libs.androidx.camera.core)
    implementation(libs.androidx.camera.camera2)
    implementation(libs.androidx.camera.lifecycle)
    implementation(libs.androidx.camera.view)
    implementation(libs.androidx.biometric)
    implementation(libs.mlkit.barcode.scanning)
    implementation(libs.kotlinx.coroutines.android)

    testImplementation(libs.junit)
    testImplementation(libs.kotlinx.coroutines.test)
}
