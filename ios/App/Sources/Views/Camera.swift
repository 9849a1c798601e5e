// AVFoundation cameras for the two scanners: the request scanner reads QR text with the
// system's metadata output (the core reads presentation codes, not arbitrary text), and the
// verifier hands the luminance (Y) plane of each video frame to the core's verifyQrFrame,
// one frame at a time, dropping frames while one is being verified.
import AVFoundation
import SwiftUI

/// A camera session with a preview layer; `configure` adds the output the scanner needs.
final class CameraPreviewView: UIView {
    let session = AVCaptureSession()
    private let sessionQueue = DispatchQueue(label: "vn.cancuoc.camera")
    override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }
    private var previewLayer: AVCaptureVideoPreviewLayer { layer as! AVCaptureVideoPreviewLayer } // layerClass above

    func start(configure: @escaping (AVCaptureSession) -> Void) {
        previewLayer.session = session
        previewLayer.videoGravity = .resizeAspectFill
        sessionQueue.async { [session] in
            session.beginConfiguration()
            session.sessionPreset = .hd1280x720
            if let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
               let input = try? AVCaptureDeviceInput(device: device), session.canAddInput(input) {
                session.addInput(input)
            }
            configure(session)
            session.commitConfiguration()
            session.startRunning()
        }
    }

    func stop() {
        sessionQueue.async { [session] in session.stopRunning() }
    }
}

/// QR texts seen by the camera (a relying party's request on a screen or on paper).
struct QrTextScanner: UIViewRepresentable {
    let onText: (String) -> Void

    func makeCoordinator() -> Coordinator { Coordinator(onText: onText) }

    func makeUIView(context: Context) -> CameraPreviewView {
        let view = CameraPreviewView()
        let coordinator = context.coordinator
        view.start { session in
            let output = AVCaptureMetadataOutput()
            guard session.canAddOutput(output) else { return }
            session.addOutput(output)
            output.setMetadataObjectsDelegate(coordinator, queue: .main)
            output.metadataObjectTypes = [.qr]
        }
        return view
    }

    func updateUIView(_ uiView: CameraPreviewView, context: Context) {}

    static func dismantleUIView(_ uiView: CameraPreviewView, coordinator: Coordinator) { uiView.stop() }

    final class Coordinator: NSObject, AVCaptureMetadataOutputObjectsDelegate {
        let onText: (String) -> Void
        private var last: String?
        init(onText: @escaping (String) -> Void) { self.onText = onText }

        func metadataOutput(_ output: AVCaptureMetadataOutput, didOutput objects: [AVMetadataObject],
                            from connection: AVCaptureConnection) {
            guard let text = objects.compactMap({ ($0 as? AVMetadataMachineReadableCodeObject)?.stringValue }).first,
                  text != last else { return }
            last = text // each distinct code once
            onText(text)
        }
    }
}

/// Grayscale frames for the core's verifier: (width, height, packed Y plane).
struct LumaScanner: UIViewRepresentable {
    /// Called on a background queue with one frame; call `done` when it has been handled.
    let onFrame: (_ width: Int, _ height: Int, _ luma: Data, _ done: @escaping () -> Void) -> Void

    func makeCoordinator() -> Coordinator { Coordinator(onFrame: onFrame) }

    func makeUIView(context: Context) -> CameraPreviewView {
        let view = CameraPreviewView()
        let coordinator = context.coordinator
        view.start { session in
            let output = AVCaptureVideoDataOutput()
            output.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange]
            output.alwaysDiscardsLateVideoFrames = true
            output.setSampleBufferDelegate(coordinator, queue: coordinator.queue)
            if session.canAddOutput(output) { session.addOutput(output) }
        }
        return view
    }

    func updateUIView(_ uiView: CameraPreviewView, context: Context) {}

    static func dismantleUIView(_ uiView: CameraPreviewView, coordinator: Coordinator) { uiView.stop() }

    final class Coordinator: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate {
        let queue = DispatchQueue(label: "vn.cancuoc.frames")
        let onFrame: (Int, Int, Data, @escaping () -> Void) -> Void
        private var busy = false // touched on `queue` only
        init(onFrame: @escaping (Int, Int, Data, @escaping () -> Void) -> Void) { self.onFrame = onFrame }

        func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer,
                           from connection: AVCaptureConnection) {
            guard !busy, let frame = Self.luma(sampleBuffer) else { return }
            busy = true
            onFrame(frame.width, frame.height, frame.data) { [weak self] in
                self?.queue.async { self?.busy = false }
            }
        }

        /// The Y plane packed row by row (the buffer's rows may be padded).
        static func luma(_ sampleBuffer: CMSampleBuffer) -> (width: Int, height: Int, data: Data)? {
            guard let buffer = CMSampleBufferGetImageBuffer(sampleBuffer) else { return nil }
            CVPixelBufferLockBaseAddress(buffer, .readOnly)
            defer { CVPixelBufferUnlockBaseAddress(buffer, .readOnly) }
            guard let base = CVPixelBufferGetBaseAddressOfPlane(buffer, 0) else { return nil }
            let width = CVPixelBufferGetWidthOfPlane(buffer, 0)
            let height = CVPixelBufferGetHeightOfPlane(buffer, 0)
            let stride = CVPixelBufferGetBytesPerRowOfPlane(buffer, 0)
            var data = Data(count: width * height)
            data.withUnsafeMutableBytes { out in
                guard let dst = out.baseAddress else { return }
                for row in 0..<height {
                    memcpy(dst + row * width, base + row * stride, width)
                }
            }
            return (width, height, data)
        }
    }
}
