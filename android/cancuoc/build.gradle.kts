// The `cancuoc` Android library: the generated uniffi bindings (package vn.cancuoc.core),
// the native libcancuoc_ffi.so for each ABI (src/main/jniLibs, built by ../build-native.sh and
// packaged by AGP from there), JNA as an aar (it brings libjnidispatch.so for Android), and
// the Android Keystore key store (package vn.cancuoc.platform).
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "vn.cancuoc"
    compileSdk = 35

    defaultConfig {
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
        // src/androidTest: AndroidKeyStore on a device or emulator (./gradlew connectedAndroidTest).
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    // `@aar`: the Android artifact of JNA, with libjnidispatch.so for every ABI. The plain jar
    // would load a desktop libjnidispatch and fail at the first call.
    api("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")
    implementation(libs.androidx.core.ktx)

    testImplementation(libs.junit)
    androidTestImplementation(libs.junit)
    androidTestImplementation(libs.androidx.test.runner)
    androidTestImplementation(libs.androidx.test.ext.junit)
}
