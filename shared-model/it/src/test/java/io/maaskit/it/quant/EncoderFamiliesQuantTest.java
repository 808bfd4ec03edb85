package io.maaskit.it.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.it.TinyEncoders.Family;
import io.maaskit.it.TinyEncoders.Head;
import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.Quantization;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import io.maaskit.tools.quant.ScoreGate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The tiny RoBERTa, XLM-RoBERTa and DistilBERT packages quantize to int8 through the calibrated
 * graph and pass their gates on ONNX Runtime: the embedding model the cosine gate (pooled vectors
 * within 0.99 of float32's), the cross-encoder that gate, with the reranker's {@link ScoreGate}
 * figures (largest change of a pair's sigmoid score, share of document pairs in float32's order)
 * measured and recorded in the manifest, not enforced yet; the int8 reranker serves scores from its
 * graph.
 */
class EncoderFamiliesQuantTest {
  private static final int INPUTS = 36;

  private static Path quantize(Family f, Head h) throws Exception {
    return quantize(TestModels.tinyEncoder(f, h), f + "-" + h);
  }

  private static Path quantize(Path fp32, String what) throws Exception {
    Path out =
        Files.createTempDirectory("quant-" + what)
            .resolve("store")
            .resolve(fp32.getParent().getFileName() + "-int8")
            .resolve("1");
    Quantizer.Result r =
        new Quantizer(QuantFixtures.runtime())
            .quantize(
                fp32,
                out,
                QuantizeOptions.defaults()
                    .withCalibration(CalibrationSet.calibration().sample(INPUTS)),
                QuantFixtures.phases(what));
    assertTrue(r.gate().passed());
    return out;
  }

  @ParameterizedTest
  @EnumSource(Family.class)
  void rerankerPassesTheCosineGateAndRecordsScores(Family f) throws Exception {
    assertRerankerGated(quantize(f, Head.RERANKER), f.toString());
  }

  /** BERT's cross-encoder (pooler, then one logit): the same. */
  @Test
  void bertRerankerPassesTheCosineGateAndRecordsScores() throws Exception {
    assertRerankerGated(quantize(TestModels.tinyCrossEncoder(), "bert-reranker"), "BERT");
  }

  private static void assertRerankerGated(Path int8, String f) throws Exception {
    ModelManifest m = ModelPackage.read(int8);
    Quantization q = m.quantization();
    assertEquals("int8", m.dtype());
    assertEquals(INPUTS, q.calibrationInputs());
    assertTrue(q.minCosine() >= 0.99, "min cosine " + q.minCosine());
    assertNotNull(q.maxScoreError(), "a reranker's package records the score gate");
    // Recorded, not enforced (see Quantizer): the score figures must be real measurements.
    assertTrue(q.maxScoreError() > 0 && q.maxScoreError() < 1, "" + q.maxScoreError());
    assertTrue(q.orderAgreement() > 0 && q.orderAgreement() <= 1, "" + q.orderAgreement());
    System.out.printf(
        "%s int8 reranker: min cosine %.6f, max score change %.6f, order agreement %.4f%n",
        f, q.minCosine(), q.maxScoreError(), q.orderAgreement());
    TextScorer s = (TextScorer) QuantFixtures.loadServing(int8);
    try {
      List<Tokens> batch =
          List.of(
              s.tokenizePair("what is a cat?", "the cat sat on the mat.").tokens(),
              s.tokenizePair("how to cook rice?", "boil water in a pan.").tokens());
      float[][] scores = s.score(batch);
      assertEquals(2, scores.length);
      assertTrue(Float.isFinite(scores[0][0]) && Float.isFinite(scores[1][0]));
    } finally {
      s.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Family.class)
  void embeddingModelPassesTheCosineGate(Family f) throws Exception {
    ModelManifest m = ModelPackage.read(quantize(f, Head.NONE));
    assertTrue(m.quantization().minCosine() >= 0.99, "" + m.quantization().minCosine());
    assertNull(m.quantization().maxScoreError(), "no scores to gate");
  }
}
