package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code PORT} sets the server's port through application.properties (8080 without it), {@code
 * HOST} its address (loopback without it: only containers listen on every interface).
 */
class PortConfigTest {
  static int port(Map<String, String> env) throws Exception {
    return config(env).getValue("quarkus.http.port", Integer.class);
  }

  static String host(Map<String, String> env) throws Exception {
    return config(env).getValue("quarkus.http.host", String.class);
  }

  static SmallRyeConfig config(Map<String, String> env) throws Exception {
    SmallRyeConfig c =
        new SmallRyeConfigBuilder()
            .addDefaultInterceptors()
            .withSources(
                new PropertiesConfigSource(
                    PortConfigTest.class.getResource("/application.properties"), 250),
                new EnvConfigSource(env, 300))
            .build();
    return c;
  }

  @Test
  void portVariableSetsTheHttpPort() throws Exception {
    assertEquals(9123, port(Map.of("PORT", "9123")));
    assertEquals(8080, port(Map.of()));
  }

  @Test
  void hostVariableSetsTheAddressAndTheDefaultIsLoopback() throws Exception {
    assertEquals("127.0.0.1", host(Map.of()));
    assertEquals("0.0.0.0", host(Map.of("HOST", "0.0.0.0")));
  }
}
