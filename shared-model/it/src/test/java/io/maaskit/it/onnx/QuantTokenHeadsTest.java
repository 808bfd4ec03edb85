package io.maaskit.it.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tiny random token classifier and question answerer quantize to int8 packages that pass the
 * accuracy gate, keep their capability and head, record the token-logits gate's figures in the
 * manifest, and give finite per-token logits (how close to the float32 graph's is printed). The
 * token-logits gate's default thresholds are set from a trained token classifier ({@code
 * TokenClassifierTrainingTest}, which tests its pass and refusal); a random head's logits are no
 * guide to them, so here the tiny token classifier is quantized with that gate opened.
 */
class QuantTokenHeadsTest {
  private static final String TEXT = "The cat sat on the mat. The dog runs in the park.";

  @Test
  void tokenClassifierAndQuestionAnswererQuantize() throws Exception {
    for (Path fp32 : List.of(TestModels.tinyTokenClassifier(), TestModels.tinyQuestionAnswerer())) {
      ModelManifest source = ModelPackage.read(fp32);
      Path int8 =
          Files.createTempDirectory("quant-" + source.name())
              .resolve(source.name() + "-int8")
              .resolve("1");
      Quantizer.Result r =
          new Quantizer(OrtFixtures.pytorch())
              .quantize(
                  fp32,
                  int8,
                  QuantizeOptions.defaults()
                      .withCalibration(CalibrationSet.calibration().sample(16))
                      .withTokenGate(0, 0),
                  io.maaskit.model.store.Progress.NONE);
      ModelManifest m = ModelPackage.read(int8);
      assertEquals("int8", m.dtype());
      assertEquals(source.capabilities(), m.capabilities());
      assertEquals(source.task(), m.task());
      assertTrue(r.gate().passed(), "gate: " + r.gate());
      io.maaskit.model.pkg.Quantization gate = m.quantization();
      assertTrue(gate.minTokenCosine() != null && gate.minTokenCosine() <= 1, gate.toString());
      assertTrue(gate.tokenAgreement() != null && gate.tokenAgreement() <= 1, gate.toString());
      try (LoadedModel a = OrtFixtures.load(fp32, OrtFixtures.onnxRuntime());
          LoadedModel b = OrtFixtures.load(int8, OrtFixtures.onnxRuntime())) {
        TokenLogits f = (TokenLogits) a;
        TokenLogits q = (TokenLogits) b;
        TokenLogits.Pieces p = f.pieces(TEXT);
        long[] ids = new long[p.length() + 2];
        ids[0] = f.clsId();
        ids[ids.length - 1] = f.sepId();
        System.arraycopy(p.ids(), 0, ids, 1, p.length());
        Tokens t = new Tokens(ids, new long[ids.length]);
        float[][] x = f.tokenLogits(List.of(t))[0];
        float[][] y = q.tokenLogits(List.of(t))[0];
        double worst = 1;
        for (int k = 0; k < x.length; k++) {
          double dot = 0, nx = 0, ny = 0;
          for (int c = 0; c < x[k].length; c++) {
            dot += x[k][c] * y[k][c];
            nx += x[k][c] * x[k][c];
            ny += y[k][c] * y[k][c];
          }
          worst = Math.min(worst, dot / Math.sqrt(nx * ny));
        }
        System.out.printf("%s int8 token logits: worst cosine %.5f%n", source.name(), worst);
        // Printed only: tiny-qa's two columns measured 0.954 once, tiny-ner's seven 0.987.
        assertTrue(Double.isFinite(worst), source.name() + " worst token cosine " + worst);
      }
    }
  }
}
