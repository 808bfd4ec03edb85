package io.maaskit.functions.http.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.functions.StrictJson;
import io.maaskit.functions.protocol.QueueJson;
import io.maaskit.it.TestModels;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.queue.QueueMessageHandler;
import io.maaskit.model.queue.ResultSink;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The real all-MiniLM-L6-v2 behind the task services, shared by the queue tests of one JVM. */
final class QueueFixtures {
  static final String MODEL = "all-minilm-l6-v2";
  private static ModelRegistry registry;

  private QueueFixtures() {}

  static synchronized ModelRegistry registry() {
    if (registry == null) {
      try {
        TestModels.miniLm();
        LocalModelStore store = new LocalModelStore(TestModels.storeRoot());
        EagerEngine rt = EagerEngine.start(EngineOptions.defaults());
        registry =
            new ModelRegistry(
                store,
                new PackageLoader(
                    store, new PackageCache(Path.of("target/cache"), 0), LoadMode.CACHE, rt),
                RegistryOptions.defaults());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return registry;
  }

  static EmbeddingService embeddings() {
    return new EmbeddingService(registry(), MODEL, 64);
  }

  static ClassificationService classifier() {
    return new ClassificationService(registry(), MODEL, 64);
  }

  /** Every failure leaves the message on the queue. */
  static QueueMessageHandler<JsonNode> handler(
      Map<String, TaskHandler<JsonNode>> tasks, ResultSink sink) {
    return handler(tasks, sink, QueueMessageHandler.ErrorResults.NONE);
  }

  /** The kit's JSON messages, read and written with the server's mapper. */
  static QueueMessageHandler<JsonNode> handler(
      Map<String, TaskHandler<JsonNode>> tasks,
      ResultSink sink,
      QueueMessageHandler.ErrorResults errors) {
    return new QueueMessageHandler<>(new QueueJson(StrictJson.mapper()), tasks, sink, errors);
  }

  /** {@code "embed"} and {@code "classify"} over the task services. */
  static QueueMessageHandler<JsonNode> standard(
      EmbeddingService embeddings, ClassificationService classifier, ResultSink sink) {
    return handler(
        Map.of("embed", QueueJson.embed(embeddings), "classify", QueueJson.classify(classifier)),
        sink);
  }

  /** A sink in memory (our own interface, not a protocol): counts writes per message id. */
  static final class MemorySink implements ResultSink {
    final Map<String, byte[]> results = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();

    @Override
    public boolean has(String messageId) {
      return results.containsKey(messageId);
    }

    @Override
    public void write(String messageId, byte[] result) {
      writes.computeIfAbsent(messageId, k -> new AtomicInteger()).incrementAndGet();
      results.put(messageId, result);
    }

    int writes(String messageId) {
      AtomicInteger n = writes.get(messageId);
      return n == null ? 0 : n.get();
    }
  }
}
