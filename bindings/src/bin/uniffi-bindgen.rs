//! The workspace's own `uniffi-bindgen`, the same version as the library it reads: generates the
//! Kotlin and Swift sources from the built `cancuoc_ffi` library (library mode).
fn main() {
    uniffi::uniffi_bindgen_main()
}
