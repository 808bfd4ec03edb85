package io.maaskit.functions;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * One JSON document per body: content after it ({@code {"inputs": "a"} {"inputs": "b"}}) is a 400,
 * not silently ignored. Funqy reads HTTP and API Gateway bodies with a copy of this mapper; the
 * queue handler enables the same feature on its own.
 */
@Singleton
public class StrictJson implements ObjectMapperCustomizer {
  @Override
  public void customize(ObjectMapper mapper) {
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }
}
