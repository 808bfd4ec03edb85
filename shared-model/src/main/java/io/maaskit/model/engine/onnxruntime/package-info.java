/**
 * The ONNX Runtime engine, through DJL's {@code OnnxRuntime} engine: runs the compiled graphs
 * packages carry (CPU serving, int8 kernels). The only package that names {@code ai.onnxruntime} or
 * {@code ai.djl.onnxruntime} types.
 */
package io.maaskit.model.engine.onnxruntime;
