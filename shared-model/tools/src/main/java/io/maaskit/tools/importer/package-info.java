/**
 * Importers that turn third-party model files into packages: ONNX exports of BERT-family encoders
 * (float32 and ONNX Runtime int8) and Hugging Face directories ({@code config.json}, {@code
 * model.safetensors}, {@code tokenizer.json}).
 */
package io.maaskit.tools.importer;
