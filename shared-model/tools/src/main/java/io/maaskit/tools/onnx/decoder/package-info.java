/**
 * What every decoder graph compiler shares: {@link io.maaskit.tools.onnx.decoder.Linears}, the one
 * place a projection or token table is emitted (float32 {@code MatMul}, or {@code
 * com.microsoft.MatMulNBits} on {@link io.maaskit.tools.onnx.decoder.BlockQuantized} weights), and
 * reading stored weights as float32 ({@link io.maaskit.tools.onnx.decoder.Matrix}).
 */
package io.maaskit.tools.onnx.decoder;
