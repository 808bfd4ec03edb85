package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.at;
import static io.maaskit.infra.InfraTestSupport.json;
import static io.maaskit.infra.InfraTestSupport.resources;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Template;

/**
 * IAM by default, JWT when an issuer is configured, anonymous only when asked for: for both HTTP
 * API stacks.
 */
class AccessControlTest {

  @Test
  void defaultIsIamOnEveryRouteOfBothApis() {
    var synth = InfraTestSupport.defaults();
    assertAllRoutes(synth.serverless(), "AWS_IAM", MaasConstructs.ROUTES);
    assertAllRoutes(synth.cpuImage(), "AWS_IAM", MaasConstructs.INFERENCE_ROUTES);
  }

  @Test
  void jwtIssuerSwitchesEveryRouteToAJwtAuthorizer() {
    var synth = InfraTestSupport.jwt();
    for (Template t : List.of(synth.serverless(), synth.cpuImage())) {
      assertAllRoutes(
          t,
          "JWT",
          t == synth.serverless() ? MaasConstructs.ROUTES : MaasConstructs.INFERENCE_ROUTES);
      t.hasResourceProperties(
          "AWS::ApiGatewayV2::Authorizer",
          Map.of(
              "AuthorizerType", "JWT",
              "IdentitySource", List.of("$request.header.Authorization"),
              "JwtConfiguration",
                  Map.of(
                      "Issuer",
                      "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example",
                      "Audience",
                      List.of("maaskit-client"))));
      for (var route : resources(json(t), "AWS::ApiGatewayV2::Route").values()) {
        assertTrue(
            at(route, "Properties", "AuthorizerId") != null,
            "route without authorizer id: " + route);
      }
    }
  }

  @Test
  void anonymousOnlyWhenAllowAnonymousIsTrue() {
    var synth = InfraTestSupport.anonymous();
    assertAllRoutes(synth.serverless(), "NONE", MaasConstructs.ROUTES);
    assertAllRoutes(synth.cpuImage(), "NONE", MaasConstructs.INFERENCE_ROUTES);
  }

  @Test
  void anonymousAndJwtTogetherAreRejected() {
    App app =
        App.Builder.create()
            .outdir(Path.of("target", "cdk.out-rejected").toString())
            .context(
                Map.of(
                    InfraSettings.CTX_ALLOW_ANONYMOUS, "true",
                    InfraSettings.CTX_JWT_ISSUER, "https://issuer.example.com",
                    InfraSettings.CTX_JWT_AUDIENCE, "x"))
            .build();
    var e = assertThrows(IllegalArgumentException.class, () -> MaasInfraApp.build(app));
    assertTrue(e.getMessage().contains("mutually exclusive"), e.getMessage());
  }

  @Test
  void jwtWithoutAudienceIsRejected() {
    App app =
        App.Builder.create()
            .outdir(Path.of("target", "cdk.out-rejected").toString())
            .context(Map.of(InfraSettings.CTX_JWT_ISSUER, "https://issuer.example.com"))
            .build();
    var e = assertThrows(IllegalArgumentException.class, () -> MaasInfraApp.build(app));
    assertTrue(e.getMessage().contains(InfraSettings.CTX_JWT_AUDIENCE), e.getMessage());
  }

  static void assertAllRoutes(
      Template t, String authorizationType, List<MaasConstructs.Route> expected) {
    var routes = resources(json(t), "AWS::ApiGatewayV2::Route");
    // The serverless stack has the whole table; the CPU image stack all but the Files and Batches
    // APIs (it has no batch store or queue).
    java.util.Set<String> want = new java.util.TreeSet<>();
    expected.forEach(r -> want.add(r.method() + " " + r.path()));
    java.util.Set<String> got = new java.util.TreeSet<>();
    routes.values().forEach(r -> got.add((String) at(r, "Properties", "RouteKey")));
    assertEquals(want, got);
    for (var r : routes.values()) {
      assertEquals(authorizationType, at(r, "Properties", "AuthorizationType"), r.toString());
    }
  }
}
