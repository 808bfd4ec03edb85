package io.maaskit.model.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.error.OverloadedException;
import io.maaskit.model.error.RequestCancelledException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The generation loop against a deterministic byte-level generator (no weights involved). */
class GenerationServiceTest {
  private final List<GenerationService> services = new ArrayList<>();

  private GenerationService service(ScriptedGenerator g, GenerationOptions options) {
    GenerationService s =
        new GenerationService(
            name -> {
              if (!name.equals("scripted")) {
                throw new ModelNotFoundException("no model '" + name + "'");
              }
              return g;
            },
            "scripted",
            options);
    services.add(s);
    return s;
  }

  private GenerationService service(ScriptedGenerator g) {
    return service(g, GenerationOptions.defaults());
  }

  @AfterEach
  void close() {
    services.forEach(GenerationService::close);
  }

  private static SamplingParams params(
      Integer maxTokens, Double temperature, Long seed, List<String> stop, Integer n) {
    return new SamplingParams(
        maxTokens, temperature, null, null, seed, null, null, null, stop, null, n, null);
  }

  /** Collects deltas per choice. */
  static final class Recorder implements GenerationListener {
    final List<List<String>> deltas = Collections.synchronizedList(new ArrayList<>());
    final List<FinishReason> finished = Collections.synchronizedList(new ArrayList<>());

    @Override
    public synchronized void delta(int choice, String text, List<Generation.TokenLogprob> lps) {
      while (deltas.size() <= choice) {
        deltas.add(new ArrayList<>());
      }
      deltas.get(choice).add(text);
    }

    @Override
    public void finished(int choice, FinishReason reason) {
      finished.add(reason);
    }

    String joined(int choice) {
      return String.join("", deltas.get(choice));
    }
  }

  @Test
  void greedyRecitesUntilEndOfSequence() {
    GenerationService s = service(ScriptedGenerator.reciting("Hello!", 64));
    Generation g =
        s.generate(
            GenerateRequest.completion(null, "Say hi: ", SamplingParams.greedy(20)),
            Cancellation.NONE);
    assertEquals("Hello!", g.choices().get(0).text());
    assertEquals(FinishReason.STOP, g.choices().get(0).finishReason());
    assertEquals(8, g.promptTokens());
    assertEquals(7, g.completionTokens(), "six bytes and the end-of-sequence token");
  }

  @Test
  void maxTokensEndsWithLength() {
    GenerationService s = service(ScriptedGenerator.reciting("Hello, world", 64));
    Generation g =
        s.generate(
            GenerateRequest.completion(null, "x", SamplingParams.greedy(5)), Cancellation.NONE);
    assertEquals("Hello", g.choices().get(0).text());
    assertEquals(FinishReason.LENGTH, g.choices().get(0).finishReason());
    assertEquals(5, g.completionTokens());
  }

  @Test
  void stopStringEndsTheTextAndNeverReachesADelta() {
    GenerationService s = service(ScriptedGenerator.reciting("one, two, three, four", 64));
    Recorder r = new Recorder();
    Generation g =
        s.generate(
            GenerateRequest.completion(
                null, "count: ", params(30, 0.0, null, List.of("three", "xyz"), null)),
            Cancellation.NONE,
            r);
    assertEquals("one, two, ", g.choices().get(0).text());
    assertEquals(FinishReason.STOP, g.choices().get(0).finishReason());
    assertEquals("one, two, ", r.joined(0));
    for (String d : r.deltas.get(0)) {
      assertFalse(d.contains("t") && d.contains("h"), "delta " + d);
    }
    // "t" of "two" is held back only until "w" shows it is not "three"
    assertTrue(r.deltas.get(0).size() > 3, r.deltas.toString());
    assertEquals(List.of(FinishReason.STOP), r.finished);
  }

  @Test
  void aStopStringThatNeverCompletesIsReleasedAtTheEnd() {
    GenerationService s = service(ScriptedGenerator.reciting("ab thr", 64));
    Recorder r = new Recorder();
    Generation g =
        s.generate(
            GenerateRequest.completion(null, "x", params(30, 0.0, null, List.of("three"), null)),
            Cancellation.NONE,
            r);
    assertEquals("ab thr", g.choices().get(0).text());
    assertEquals("ab thr", r.joined(0));
  }

  @Test
  void multiByteCharactersSplitAcrossTokensArriveWhole() {
    String script = "héllo wörld 😀 日本";
    GenerationService s = service(ScriptedGenerator.reciting(script, 128));
    Recorder r = new Recorder();
    Generation g =
        s.generate(
            GenerateRequest.completion(null, "x", SamplingParams.greedy(100)),
            Cancellation.NONE,
            r);
    assertEquals(script, g.choices().get(0).text());
    assertEquals(script, r.joined(0));
    for (String d : r.deltas.get(0)) {
      assertFalse(d.contains("\uFFFD"), "delta with a replacement character: " + r.deltas);
    }
    assertTrue(r.deltas.get(0).contains("😀"), "the emoji's four bytes arrive as one delta");
  }

  /** Logits from a hash of the history: a spread-out distribution over the letters a-z. */
  private static ScriptedGenerator noisy(int context) {
    return new ScriptedGenerator(
        context,
        (prompt, gen) -> {
          float[] row = new float[ScriptedGenerator.VOCAB];
          java.util.Arrays.fill(row, -1e9f);
          long h = gen.length * 31L + 7;
          for (int i = 0; i < 26; i++) {
            h = h * 6364136223846793005L + 1442695040888963407L;
            row['a' + i] = (float) ((h >>> 40) % 1000) / 500f;
          }
          return row;
        });
  }

  @Test
  void sameSeedSameTextOtherSeedOtherText() {
    GenerationService s = service(noisy(128));
    String a = text(s, 7L);
    String b = text(s, 7L);
    String c = text(s, 8L);
    assertEquals(a, b);
    assertNotEquals(a, c);
    assertEquals(40, a.length());
  }

  private static String text(GenerationService s, long seed) {
    return s.generate(
            GenerateRequest.completion(null, "x", params(40, 1.0, seed, null, null)),
            Cancellation.NONE)
        .choices()
        .get(0)
        .text();
  }

  @Test
  void nChoicesDifferAndAreReproducible() {
    GenerationService s = service(noisy(128));
    Generation g1 =
        s.generate(
            GenerateRequest.completion(null, "x", params(20, 1.0, 3L, null, 3)), Cancellation.NONE);
    Generation g2 =
        s.generate(
            GenerateRequest.completion(null, "x", params(20, 1.0, 3L, null, 3)), Cancellation.NONE);
    assertEquals(3, g1.choices().size());
    assertEquals(
        g1.choices().stream().map(Generation.Choice::text).toList(),
        g2.choices().stream().map(Generation.Choice::text).toList());
    assertNotEquals(g1.choices().get(0).text(), g1.choices().get(1).text());
    assertEquals(60, g1.completionTokens());
  }

  @Test
  void greedyIgnoresTheSeedAndTopKOneIsGreedy() {
    GenerationService s = service(noisy(128));
    String greedy =
        s.generate(
                GenerateRequest.completion(null, "x", params(20, 0.0, 1L, null, null)),
                Cancellation.NONE)
            .choices()
            .get(0)
            .text();
    String topK1 =
        s.generate(
                GenerateRequest.completion(
                    null,
                    "x",
                    new SamplingParams(
                        20, 1.5, null, 1, 99L, null, null, null, null, null, null, null)),
                Cancellation.NONE)
            .choices()
            .get(0)
            .text();
    assertEquals(greedy, topK1);
  }

  /** 'a' slightly above 'b', nothing else possible. */
  private static ScriptedGenerator aOverB() {
    return new ScriptedGenerator(
        64,
        (prompt, gen) -> {
          float[] row = new float[ScriptedGenerator.VOCAB];
          java.util.Arrays.fill(row, -1e9f);
          row['a'] = 1.0f;
          row['b'] = 0.5f;
          return row;
        });
  }

  @Test
  void frequencyPenaltyAlternatesRepeatsAndRepetitionPenaltyToo() {
    GenerationService s = service(aOverB());
    assertEquals("aaaaaa", gen(s, null, null));
    // a: 1 - 2·count; b: 0.5 - 2·count -> a b a b ...
    assertEquals("ababab", gen(s, 2.0, null));
    // repetition 3 over prompt "x" and output: a seen -> 1/3 < 0.5 -> b; b seen -> 0.5/3 < 1/3 -> a
    assertEquals("abaaaa", gen(s, null, 3.0));
  }

  private static String gen(GenerationService s, Double frequency, Double repetition) {
    return s.generate(
            GenerateRequest.completion(
                null,
                "x",
                new SamplingParams(
                    6, 0.0, null, null, null, repetition, null, frequency, null, null, null, null)),
            Cancellation.NONE)
        .choices()
        .get(0)
        .text();
  }

  @Test
  void stopTokenIdsEndAChoice() {
    GenerationService s = service(ScriptedGenerator.reciting("abc;def", 64));
    Generation g =
        s.generate(
            GenerateRequest.completion(
                null,
                "x",
                new SamplingParams(
                    20,
                    0.0,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    List.of((int) ';'),
                    null,
                    null)),
            Cancellation.NONE);
    assertEquals("abc", g.choices().get(0).text());
    assertEquals(FinishReason.STOP, g.choices().get(0).finishReason());
  }

  @Test
  void logprobsAreTheModelsWithBytesAndAlternatives() {
    // p(a) = 3/4, p(b) = 1/4
    ScriptedGenerator g =
        new ScriptedGenerator(
            64,
            (prompt, gen) -> {
              float[] row = new float[ScriptedGenerator.VOCAB];
              java.util.Arrays.fill(row, -1e30f);
              row['a'] = (float) Math.log(3);
              row['b'] = 0f;
              return row;
            });
    Generation r =
        service(g)
            .generate(
                GenerateRequest.completion(
                    null,
                    "x",
                    new SamplingParams(
                        2, 0.0, null, null, null, null, null, null, null, null, null, 2)),
                Cancellation.NONE);
    List<Generation.TokenLogprob> lps = r.choices().get(0).logprobs();
    assertEquals(2, lps.size());
    Generation.TokenLogprob first = lps.get(0);
    assertEquals("a", first.token());
    assertEquals(Math.log(0.75), first.logprob(), 1e-6);
    assertArrayEquals(new byte[] {'a'}, first.bytes());
    assertEquals(
        List.of("a", "b"), first.top().stream().map(Generation.TopLogprob::token).toList());
    assertEquals(Math.log(0.25), first.top().get(1).logprob(), 1e-6);
  }

  @Test
  void badFieldsAndOversizedPromptsAre400s() {
    GenerationService s = service(ScriptedGenerator.reciting("abc", 16));
    assertThrows(
        InvalidRequestException.class,
        () ->
            s.start(
                GenerateRequest.completion(null, "x", params(-1, null, null, null, null)),
                Cancellation.NONE,
                GenerationListener.NONE));
    assertThrows(
        InvalidRequestException.class,
        () ->
            s.start(
                GenerateRequest.completion(null, "x", params(5, 2.5, null, null, null)),
                Cancellation.NONE,
                GenerationListener.NONE));
    assertThrows(
        InvalidRequestException.class,
        () ->
            s.start(
                GenerateRequest.completion(null, "x", params(5, null, null, null, 9)),
                Cancellation.NONE,
                GenerationListener.NONE));
    InvalidRequestException e =
        assertThrows(
            InvalidRequestException.class,
            () ->
                s.start(
                    GenerateRequest.completion(
                        null, "0123456789", params(7, null, null, null, null)),
                    Cancellation.NONE,
                    GenerationListener.NONE));
    assertTrue(e.getMessage().contains("at most 6"), e.getMessage());
    assertThrows(
        InvalidRequestException.class,
        () ->
            s.start(
                GenerateRequest.completion(null, "0123456789abcdef", null),
                Cancellation.NONE,
                GenerationListener.NONE));
    assertThrows(
        InvalidRequestException.class,
        () ->
            s.start(
                GenerateRequest.chat(null, List.of(), null),
                Cancellation.NONE,
                GenerationListener.NONE));
    assertThrows(
        InvalidRequestException.class,
        () ->
            s.start(
                GenerateRequest.chat(null, List.of(new ChatMessage("wizard", "hi")), null),
                Cancellation.NONE,
                GenerationListener.NONE));
    assertThrows(
        ModelNotFoundException.class,
        () ->
            s.start(
                GenerateRequest.completion("nope", "x", null),
                Cancellation.NONE,
                GenerationListener.NONE));
  }

  @Test
  void withoutMaxTokensTheContextBoundsTheCompletion() {
    GenerationService s = service(ScriptedGenerator.reciting("abcdefghijklmnopqrstuvwxyz", 16));
    Generation g =
        s.generate(
            GenerateRequest.completion(null, "0123456789", params(null, 0.0, null, null, null)),
            Cancellation.NONE);
    assertEquals("abcdef", g.choices().get(0).text());
    assertEquals(FinishReason.LENGTH, g.choices().get(0).finishReason());
  }

  @Test
  void chatRendersThePackagesTemplate() {
    // the scripted template renders "<user>hi\n<assistant>": 16 bytes
    GenerationService s = service(ScriptedGenerator.reciting("Hello", 64));
    Generation g =
        s.generate(
            GenerateRequest.chat(
                null, List.of(new ChatMessage("user", "hi")), SamplingParams.greedy(10)),
            Cancellation.NONE);
    assertEquals("Hello", g.choices().get(0).text());
    assertEquals("<user>hi\n<assistant>".length(), g.promptTokens());
  }

  @Test
  void concurrentRequestsShareDecodeSteps() throws Exception {
    ScriptedGenerator g = ScriptedGenerator.reciting("abcdefghij", 64);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    g.beforeForward =
        () -> {
          entered.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    GenerationService s = service(g);
    var first =
        s.start(
            GenerateRequest.completion(null, "x", SamplingParams.greedy(10)),
            Cancellation.NONE,
            GenerationListener.NONE);
    assertTrue(entered.await(30, TimeUnit.SECONDS));
    var second =
        s.start(
            GenerateRequest.completion(null, "y", SamplingParams.greedy(10)),
            Cancellation.NONE,
            GenerationListener.NONE);
    var third =
        s.start(
            GenerateRequest.completion(null, "z", params(10, 0.0, null, null, 2)),
            Cancellation.NONE,
            GenerationListener.NONE);
    release.countDown();
    assertEquals("abcdefghij", first.await().choices().get(0).text());
    assertEquals("abcdefghij", second.await().choices().get(0).text());
    assertEquals(2, third.await().choices().size());
    assertEquals(
        4,
        g.batchSizes.stream().mapToInt(Integer::intValue).max().orElse(0),
        "one request of one choice, one of one, one of two: " + g.batchSizes);
  }

  @Test
  void aFullQueueIsRefusedAtOnce() throws Exception {
    ScriptedGenerator g = ScriptedGenerator.reciting("abcdefghij", 64);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    g.beforeForward =
        () -> {
          entered.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    GenerationService s = service(g, new GenerationOptions(1, 1, 8, 16));
    var first =
        s.start(
            GenerateRequest.completion(null, "x", SamplingParams.greedy(3)),
            Cancellation.NONE,
            GenerationListener.NONE);
    assertTrue(entered.await(30, TimeUnit.SECONDS));
    var queued =
        s.start(
            GenerateRequest.completion(null, "y", SamplingParams.greedy(3)),
            Cancellation.NONE,
            GenerationListener.NONE);
    OverloadedException e =
        assertThrows(
            OverloadedException.class,
            () ->
                s.start(
                    GenerateRequest.completion(null, "z", SamplingParams.greedy(3)),
                    Cancellation.NONE,
                    GenerationListener.NONE));
    assertEquals(1, e.retryAfter().toSeconds());
    release.countDown();
    assertEquals("abc", first.await().choices().get(0).text());
    assertEquals("abc", queued.await().choices().get(0).text());
  }

  @Test
  void aCancelledRequestStopsAndFreesItsPlace() {
    GenerationService s = service(ScriptedGenerator.reciting("abcdefghijklmnopqrstuvwxyz", 64));
    AtomicReference<String> gone = new AtomicReference<>();
    GenerationListener cancelAfterFirst =
        new GenerationListener() {
          @Override
          public void delta(int choice, String text, List<Generation.TokenLogprob> lps) {
            gone.set("the client disconnected");
          }
        };
    var started =
        s.start(
            GenerateRequest.completion(null, "x", SamplingParams.greedy(20)),
            gone::get,
            cancelAfterFirst);
    RequestCancelledException e = assertThrows(RequestCancelledException.class, started::await);
    assertTrue(e.getMessage().contains("disconnected"));
    assertEquals(0, s.activeSequences());
    assertEquals(
        "abc",
        s.generate(
                GenerateRequest.completion(null, "x", SamplingParams.greedy(3)), Cancellation.NONE)
            .choices()
            .get(0)
            .text());
  }
}
