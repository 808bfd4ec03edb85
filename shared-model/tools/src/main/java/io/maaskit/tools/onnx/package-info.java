/**
 * The ONNX compiler: turns model packages into self-contained ONNX graphs (opset 17 plus ONNX
 * Runtime's {@code com.microsoft} operators for int8), written in Java with a small protobuf
 * writer. Per-architecture graph building is a {@link io.maaskit.tools.onnx.GraphCompiler}
 * registered through {@code ServiceLoader}; BERT's lives in {@code tools.onnx.bert}.
 */
package io.maaskit.tools.onnx;
