package io.maaskit.model.engine.onnxruntime;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtSession;
import io.maaskit.model.engine.CompiledGraph;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One ONNX Runtime session behind DJL's {@code OrtSymbolBlock}. Inputs are written into direct,
 * native-order buffers, which ONNX Runtime's Java API wraps as tensors without a copy (it has no
 * IOBinding). Every run happens in its own sub-manager: closing it closes the input tensors and
 * every output DJL wrapped (DJL returns all of a graph's outputs; the unrequested ones are closed
 * unread).
 */
final class OrtGraph implements CompiledGraph {
  private final Model model;
  private final OrtSession.SessionOptions options;
  private final Block block;
  private final List<String> inputs;

  OrtGraph(Model model, OrtSession.SessionOptions options) {
    this.model = model;
    this.options = options;
    this.block = model.getBlock();
    this.inputs = List.copyOf(block.describeInput().keys());
  }

  @Override
  public List<String> inputNames() {
    return inputs;
  }

  @Override
  public Map<String, FloatTensor> run(Map<String, LongTensor> in, Set<String> outputs) {
    if (!in.keySet().equals(Set.copyOf(inputs))) {
      throw new IllegalArgumentException(
          "graph " + model.getName() + " takes inputs " + inputs + ", got " + in.keySet());
    }
    try (NDManager run = model.getNDManager().newSubManager()) {
      NDList list = new NDList(inputs.size());
      for (String name : inputs) {
        LongTensor t = in.get(name);
        ByteBuffer direct =
            ByteBuffer.allocateDirect(t.data().length * Long.BYTES).order(ByteOrder.nativeOrder());
        direct.asLongBuffer().put(t.data());
        NDArray a = run.create(direct, new Shape(t.shape()), DataType.INT64);
        a.setName(name);
        list.add(a);
      }
      NDList result = block.forward(new ParameterStore(run, false), list, false);
      Map<String, FloatTensor> out = new LinkedHashMap<>();
      Set<String> produced = new TreeSet<>();
      for (NDArray a : result) {
        produced.add(a.getName());
        if (outputs.contains(a.getName())) {
          if (a.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException(
                "output " + a.getName() + " is " + a.getDataType() + ", not float32");
          }
          out.put(a.getName(), new FloatTensor(a.toFloatArray(), a.getShape().getShape()));
        }
      }
      if (out.size() != outputs.size()) {
        List<String> missing = new ArrayList<>(outputs);
        missing.removeAll(out.keySet());
        throw new IllegalArgumentException(
            "graph " + model.getName() + " has no outputs " + missing + "; it has " + produced);
      }
      return out;
    }
  }

  @Override
  public void close() {
    model.close();
    options.close();
  }
}
