package io.maaskit.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.maaskit.functions.routes.Routes;
import io.quarkus.funqy.Funq;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The route table and the {@code @Funq} methods name the same functions, with fitting methods; the
 * streaming routes have no {@code @Funq} method (their one binding is {@link GenerationCalls}), nor
 * have the Files and Batches routes (served by the HTTP router).
 */
class FunqRoutesTest {
  @Test
  void everyFunqMethodIsInTheRouteTableAndViceVersa() {
    Map<String, Method> funqs = new TreeMap<>();
    for (Method m : ModelFunctions.class.getDeclaredMethods()) {
      Funq f = m.getAnnotation(Funq.class);
      if (f != null) {
        funqs.put(f.value().isEmpty() ? m.getName() : f.value(), m);
      }
    }
    Map<String, Routes.Route> table =
        Routes.ALL.stream()
            .filter(r -> r.binding() == Routes.Binding.FUNQY)
            .collect(Collectors.toMap(Routes.Route::function, r -> r, (a, b) -> a, TreeMap::new));
    assertEquals(
        funqs.keySet(),
        table.keySet(),
        "@Funq functions of ModelFunctions vs the whole-answer functions of Routes.ALL");
    funqs.forEach(
        (name, m) ->
            assertEquals(
                m.getParameterCount() == 0 ? Routes.Method.GET : Routes.Method.POST,
                table.get(name).method(),
                name + ": a function without input is a GET, one with a body a POST"));
  }
}
