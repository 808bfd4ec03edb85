package io.maaskit.tools.importer;

import io.maaskit.model.arch.bert.BertArchitecture;
import io.maaskit.model.arch.bert.BertConfig;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.engine.Weights;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.Quantization;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.OnnxCompiler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports a Hugging Face-style ONNX export of a BERT-family encoder (as shipped in LangChain4j's
 * embedding jars) into a model package with Hugging Face parameter names. Handles float32 exports
 * ({@code MatMul} with transposed weights) and ONNX Runtime dynamic int8 exports ({@code
 * MatMulInteger} with per-channel int8 weights and zero points, uint8 embedding tables).
 */
public final class OnnxBertImporter {
  private static final Pattern MATMUL =
      Pattern.compile(
          "/(encoder/layer\\.(\\d+)/(?:attention/self/(?:query|key|value)|attention/output/dense|intermediate/dense|output/dense)|pooler/dense)/MatMul(?:_quant)?");
  private static final Set<String> IGNORED = Set.of("embeddings.position_ids");

  private OnnxBertImporter() {}

  /**
   * Imports {@code onnx} + {@code tokenizerJson} into {@code outDir}; returns the sealed manifest.
   */
  public static ModelManifest importModel(
      Path onnx, Path tokenizerJson, Path outDir, ImportOptions options, Progress progress)
      throws IOException {
    requireFile(onnx, "ONNX model");
    requireFile(tokenizerJson, "tokenizer.json");
    progress.update("reading " + onnx.getFileName(), 0, Files.size(onnx));
    OnnxGraph graph = OnnxGraph.read(onnx);
    Map<String, Tensor> inits = graph.initializers();
    boolean quantized = inits.containsKey("embeddings.word_embeddings.weight_quantized");
    if (!inits.containsKey("embeddings.word_embeddings.weight") && !quantized) {
      throw new IOException(
          onnx
              + " is not a BERT-family encoder export: no embeddings.word_embeddings.weight initializer"
              + " (supported: Hugging Face BertModel exports, float32 or ONNX Runtime dynamic int8)");
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    Set<String> consumed = new TreeSet<>(IGNORED);

    // 1. Tensors that keep their Hugging Face name (biases, LayerNorms, embeddings).
    for (Map.Entry<String, Tensor> e : inits.entrySet()) {
      String n = e.getKey();
      if (n.startsWith("embeddings.") || n.startsWith("encoder.") || n.startsWith("pooler.")) {
        if (n.endsWith("_quantized")) {
          String base = n.substring(0, n.length() - "_quantized".length());
          out.put(base, e.getValue());
          out.put(base + Weights.SCALE, asF32(inits.get(base + "_scale"), base + "_scale"));
          Tensor zp = inits.get(base + "_zero_point");
          if (zp != null) {
            out.put(base + Weights.ZERO_POINT, zp);
          }
          consumed.addAll(List.of(n, base + "_scale", base + "_zero_point"));
        } else if (!n.endsWith("_scale") && !n.endsWith("_zero_point") && !IGNORED.contains(n)) {
          out.put(n, e.getValue());
          consumed.add(n);
        }
      }
    }
    // 2. Linear weights, found through the MatMul node that consumes them; ONNX stores W^T.
    int layers = 0;
    for (OnnxGraph.Node node : graph.nodes()) {
      Matcher m = MATMUL.matcher(node.name());
      if (!m.matches() || node.inputs().size() < 2) {
        continue;
      }
      String hfName = m.group(1).replace('/', '.') + ".weight";
      if (m.group(2) != null) {
        layers = Math.max(layers, Integer.parseInt(m.group(2)) + 1);
      }
      String wName = node.inputs().get(1);
      Tensor w = inits.get(wName);
      if (w == null) {
        throw new IOException("MatMul " + node.name() + " has no constant weight '" + wName + "'");
      }
      if (node.op().equals("MatMulInteger")) {
        String base = wName.substring(0, wName.length() - "_quantized".length());
        out.put(hfName, transpose(w));
        out.put(hfName + Weights.SCALE, asF32(inits.get(base + "_scale"), base + "_scale"));
        Tensor zp = inits.get(base + "_zero_point");
        if (zp != null && !allZero(zp)) {
          out.put(hfName + Weights.ZERO_POINT, zp);
        }
        consumed.addAll(List.of(wName, base + "_scale", base + "_zero_point"));
      } else {
        out.put(hfName, transpose(w));
        consumed.add(wName);
      }
    }
    Set<String> unknown = new TreeSet<>(inits.keySet());
    unknown.removeAll(consumed);
    if (!unknown.isEmpty()) {
      throw new IOException(
          "unsupported tensors in "
              + onnx.getFileName()
              + ": "
              + unknown
              + " — only BERT-family encoders (embeddings, self-attention, GELU feed-forward) are supported");
    }
    if (layers == 0) {
      throw new IOException(
          onnx + ": found no encoder layers (no /encoder/layer.N/... MatMul nodes)");
    }
    Tensor word = out.get("embeddings.word_embeddings.weight");
    int hidden = (int) word.shape()[1];
    int headSize = headSize(graph);
    if (hidden % headSize != 0) {
      throw new IOException(
          onnx + ": attention head size " + headSize + " does not divide hidden size " + hidden);
    }
    BertConfig config =
        BertConfig.encoder(
            (int) word.shape()[0],
            hidden,
            layers,
            hidden / headSize,
            (int) out.get("encoder.layer.0.intermediate.dense.bias").shape()[0],
            (int) out.get("embeddings.position_embeddings.weight").shape()[0],
            (int) out.get("embeddings.token_type_embeddings.weight").shape()[0],
            layerNormEps(graph));
    progress.update(
        "mapped "
            + out.size()
            + " tensors, "
            + layers
            + " layers, hidden "
            + hidden
            + ", heads "
            + config.numAttentionHeads(),
        1,
        3);

    Files.createDirectories(outDir);
    Safetensors.write(outDir.resolve(BertArchitecture.WEIGHTS), out, Map.of("format", "pt"));
    Files.write(outDir.resolve("config.json"), config.toJson());
    Files.copy(
        tokenizerJson, outDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    progress.update("wrote weights, config.json, tokenizer.json", 2, 3);

    Map<String, Object> source = new LinkedHashMap<>();
    source.put("importer", "onnx");
    source.put("file", onnx.getFileName().toString());
    source.put("producer", graph.producer());
    ModelManifest draft =
        new ModelManifest(
            ModelManifest.FORMAT,
            options.name(),
            options.version(),
            ModelManifest.TASK_EMBEDDING,
            List.of(Capability.ENCODER),
            "bert",
            options.pooling() == null ? "mean" : options.pooling(),
            options.normalize(),
            options.maxSequenceLength() == null
                ? config.maxPositionEmbeddings()
                : options.maxSequenceLength(),
            quantized ? "int8" : "float32",
            quantized
                ? new Quantization(
                    "int8-onnx-dynamic (per-channel int8 linear, uint8 embeddings, zero points)",
                    null,
                    null,
                    null,
                    "onnx-import")
                : null,
            List.of(),
            Map.of(),
            source);
    if (OnnxCompiler.supports(draft)) {
      OnnxCompiler.writeGraph(outDir, draft, CompileOptions.defaults(), progress);
    }
    ModelManifest sealed = ModelPackage.seal(outDir, draft);
    progress.update("sealed package " + sealed.id(), 3, 3);
    return sealed;
  }

  private static void requireFile(Path p, String what) throws IOException {
    if (!Files.isRegularFile(p)) {
      throw new IOException(what + " not found: " + p);
    }
  }

  /** Head size from the attention's score scaling constant (1/sqrt(d) or sqrt(d)). */
  private static int headSize(OnnxGraph g) throws IOException {
    for (OnnxGraph.Node n : g.nodes()) {
      if (n.name().equals("/encoder/layer.0/attention/self/Div")
          || n.name().equals("/encoder/layer.0/attention/self/Mul")) {
        for (String in : n.inputs()) {
          OnnxGraph.Node c = g.producerOf(in);
          if (c != null
              && c.op().equals("Constant")
              && c.value() != null
              && c.value().dtype().equals("F32")) {
            float v = c.value().toFloats()[0];
            double d = n.op().equals("Div") ? v * v : 1.0 / (v * v);
            return (int) Math.round(d);
          }
        }
      }
    }
    throw new IOException(
        "cannot find the attention scaling constant to infer the number of heads");
  }

  private static double layerNormEps(OnnxGraph g) {
    for (OnnxGraph.Node n : g.nodes()) {
      if (n.name().equals("/embeddings/LayerNorm/Add")) {
        for (String in : n.inputs()) {
          OnnxGraph.Node c = g.producerOf(in);
          if (c != null && c.value() != null && c.value().dtype().equals("F32")) {
            return c.value().toFloats()[0];
          }
        }
      }
    }
    return 1e-12;
  }

  private static Tensor asF32(Tensor t, String name) throws IOException {
    if (t == null) {
      throw new IOException("quantized weight lacks its scale tensor " + name);
    }
    if (!t.dtype().equals("F32")) {
      throw new IOException(name + " is " + t.dtype() + ", expected F32");
    }
    long[] shape = t.shape().length == 0 ? new long[] {1} : t.shape();
    return new Tensor("F32", shape, t.data());
  }

  private static boolean allZero(Tensor t) {
    ByteBuffer b = t.data().duplicate();
    while (b.hasRemaining()) {
      if (b.get() != 0) {
        return false;
      }
    }
    return true;
  }

  /** [in, out] → [out, in] for 1- or 4-byte elements. */
  static Tensor transpose(Tensor t) {
    long rows = t.shape()[0];
    long cols = t.shape()[1];
    int width = Safetensors.elementBytes(t.dtype());
    ByteBuffer src = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer dst =
        ByteBuffer.allocate(Math.toIntExact(rows * cols * width)).order(ByteOrder.LITTLE_ENDIAN);
    byte[] a = new byte[src.remaining()];
    src.get(a);
    byte[] b = dst.array();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        System.arraycopy(
            a, (int) ((r * cols + c) * width), b, (int) ((c * rows + r) * width), width);
      }
    }
    return new Tensor(t.dtype(), new long[] {cols, rows}, dst);
  }
}
