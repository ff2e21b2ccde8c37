// Package ocr is the ocr-scene-english-paddleocr model: PaddleOCR PP-OCRv4
// text detection and recognition run with ONNX Runtime.
package ocr
