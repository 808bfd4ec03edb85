/**
 * What every decoder graph compiler shares: the checkpoint's tensors as float32 ({@link
 * io.maaskit.tools.onnx.decoder.DecoderWeights}) and the one emitter of linear layers ({@link
 * io.maaskit.tools.onnx.decoder.Linears}), where quantized kernels plug in.
 */
package io.maaskit.tools.onnx.decoder;
