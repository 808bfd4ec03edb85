package io.maaskit.bench;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.EngineChoice;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.EmbeddingService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One side of a comparison, embedding lists of texts: {@code maaskit} (our package on the ONNX
 * Runtime engine, loaded through the registry exactly as the server loads it with {@code
 * MAAS_ENGINE=onnxruntime}), {@code maaskit-pytorch} (the same package on the PyTorch engine) or
 * {@code langchain4j} (its in-process ONNX Runtime model). All L2-normalize and all run with {@link
 * #threads()} threads.
 *
 * <p>Configuration comes from system properties that {@code scripts/bench} passes to the JMH forks:
 * {@code maas.bench.store} (local store with the packages), {@code maas.bench.model.fp32} and
 * {@code maas.bench.model.int8} (package names), {@code maas.bench.threads} (default 2).
 */
public interface Subject extends AutoCloseable {
  /** Embeds the texts; returns a value derived from the result so it cannot be optimised away. */
  float embed(List<String> texts);

  /** Embeds one text the way a single-input caller would. */
  float embedOne(String text);

  @Override
  void close();

  /**
   * Threads each side may use: engine intra-op threads for us, the executor (and ORT's default) for
   * the peer.
   */
  static int threads() {
    return Integer.getInteger("maas.bench.threads", 2);
  }

  /**
   * Opens a side: {@code impl} is maaskit, maaskit-pytorch or langchain4j, {@code dtype} fp32 or
   * int8.
   */
  static Subject open(String impl, String dtype) {
    if (!dtype.equals("fp32") && !dtype.equals("int8")) {
      throw new IllegalArgumentException("dtype must be fp32 or int8, not " + dtype);
    }
    return switch (impl) {
      case "maaskit" -> new Ours(dtype, "onnxruntime");
      case "maaskit-pytorch" -> new Ours(dtype, "pytorch");
      case "langchain4j" -> new Peer(dtype);
      default ->
          throw new IllegalArgumentException(
              "impl must be maaskit, maaskit-pytorch or langchain4j, not " + impl);
    };
  }

  /** The kit's engine behind an impl name: onnxruntime for maaskit, pytorch for maaskit-pytorch. */
  static String engineOf(String impl) {
    return impl.equals("maaskit-pytorch") ? "pytorch" : "onnxruntime";
  }

  /** The package name for a dtype, from {@code maas.bench.model.<dtype>}. */
  static String packageName(String dtype) {
    String name = System.getProperty("maas.bench.model." + dtype);
    if (name == null) {
      throw new IllegalStateException(
          "system property maas.bench.model." + dtype + " is not set (run via scripts/bench)");
    }
    return name;
  }

  /**
   * Our side: registry → package loader → the engine's BERT model, engine named, threads pinned.
   */
  final class Ours implements Subject {
    private final ModelRegistry registry;
    private final TextEncoder encoder;
    private final boolean normalize;
    private final Path cacheDir;

    Ours(String dtype, String engine) {
      String store = System.getProperty("maas.bench.store");
      if (store == null) {
        throw new IllegalStateException(
            "system property maas.bench.store is not set (run via scripts/bench)");
      }
      try {
        cacheDir = Files.createTempDirectory("maas-bench-cache-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      // As the server builds it from MAAS_ENGINE / MAAS_THREADS.
      EngineChoice engines = EngineChoice.start(new EngineOptions(engine, "cpu", threads(), true));
      LocalModelStore local = new LocalModelStore(Path.of(store));
      registry =
          new ModelRegistry(
              local,
              new PackageLoader(local, new PackageCache(cacheDir, 0), LoadMode.CACHE, engines),
              RegistryOptions.defaults());
      encoder =
          registry.get(ModelId.parse(packageName(dtype)), Capability.ENCODER, TextEncoder.class);
      normalize = !Boolean.FALSE.equals(encoder.manifest().normalize());
    }

    @Override
    public float embed(List<String> texts) {
      float[][] v = EmbeddingService.embed(encoder, texts, normalize).vectors();
      return v[v.length - 1][0];
    }

    @Override
    public float embedOne(String text) {
      return EmbeddingService.embed(encoder, List.of(text), normalize).vectors()[0][0];
    }

    @Override
    public void close() {
      registry.close();
    }
  }

  /** The peer: LangChain4j's in-process model with a {@link #threads()}-thread executor. */
  final class Peer implements Subject {
    private final ExecutorService executor;
    private final EmbeddingModel model;

    Peer(String dtype) {
      executor =
          Executors.newFixedThreadPool(
              threads(),
              r -> {
                Thread t = new Thread(r, "lc4j-embed");
                t.setDaemon(true);
                return t;
              });
      model =
          dtype.equals("fp32")
              ? new AllMiniLmL6V2EmbeddingModel(executor)
              : new AllMiniLmL6V2QuantizedEmbeddingModel(executor);
    }

    @Override
    public float embed(List<String> texts) {
      List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
      var r = model.embedAll(segments).content();
      return r.get(r.size() - 1).vector()[0];
    }

    @Override
    public float embedOne(String text) {
      return model.embed(text).content().vector()[0];
    }

    @Override
    public void close() {
      executor.shutdownNow();
    }
  }
}
